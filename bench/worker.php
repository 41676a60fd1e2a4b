<?php
/*
 * One contending process: waits for the common start time, then takes the lock
 * $rounds times, holding it $holdUs and doing $workUs of other work in between.
 * Prints JSON: the time each acquire() waited (us), round trips, start and end.
 *
 *   php bench/worker.php CONTENDER URI NAME ROUNDS HOLD_US WORK_US START_AT
 */
require '/usr/share/php/Symfony/Component/Lock/autoload.php';
require __DIR__ . '/locks.php';

[, $contender, $uri, $name, $rounds, $holdUs, $workUs, $startAt] = $argv;
$lock = bench_contenders()[$contender]($uri, $name);
$waits = [];

while (microtime(true) < (float) $startAt) {
    usleep(200);
}
$start = microtime(true);
for ($i = 0; $i < (int) $rounds; $i++) {
    $t = hrtime(true);
    $lock->acquire();
    $waits[] = intdiv(hrtime(true) - $t, 1000);
    usleep((int) $holdUs);
    $lock->release();
    if ((int) $workUs > 0) {
        usleep((int) $workUs);
    }
}
echo json_encode(['waits' => $waits, 'trips' => $lock->roundTrips(), 'start' => $start, 'end' => microtime(true)]);
