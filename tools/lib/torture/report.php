<?php
/* The torture run's summary: operations by kind and outcome, faults, how
 * overlaps were excused, each rule's verdict with its first violations (all
 * of them go to a file), and the last line "N passed, N failed" that CI's
 * run_step reads. */

const VIOLATIONS_SHOWN = 20;

function report(History $history, Checker $checker, array $rules, array $args, array $ttls, string $violationsFile): bool
{
    echo "operations (kind: count, by outcome):\n";
    ksort($history->ops);
    foreach ($history->ops as $kind => $outcomes) {
        arsort($outcomes);
        $parts = array_map(fn($out, $n) => "$out $n", array_keys($outcomes), $outcomes);
        printf("  %-13s %6d  %s\n", $kind, array_sum($outcomes), implode(', ', $parts));
    }
    $c = $history->counts;
    printf("critical sections %d (%d fenced), idempotent effects %d on %d keys, ledger events %d\n",
        count($history->sections), count(array_filter($history->sections, fn($s) => $s['fenced'])),
        count($history->attempts), count($history->effects), $c['events']);
    printf("faults: %d worker kills (kill -9), %d Redis restarts (SIGKILL + start, AOF), %d Redis pauses (SIGSTOP)\n",
        $c['kill'], $c['restart'], $c['pause']);
    $persistent = array_keys($ttls, -1, true);
    printf("Redis at the end: %d keys, %d without a TTL (%d of them fencing counters)\n", count($ttls),
        count($persistent), count(array_filter($persistent, 'documented_persistent')));
    foreach ($checker->excused as $what => $reasons) {
        $parts = array_map(fn($why, $n) => "$why $n", array_keys($reasons), $reasons);
        echo "allowed $what: " . implode(', ', $parts) . "\n";
    }
    $failed = 0;
    $total = 0;
    foreach ($rules as $rule => $violations) {
        $total += count($violations);
        if (!$violations) {
            echo "PASS $rule\n";
            continue;
        }
        $failed++;
        echo "FAIL $rule: " . count($violations) . " violations\n";
        foreach (array_slice($violations, 0, VIOLATIONS_SHOWN) as $violation) {
            echo "  - $violation\n";
        }
        if (count($violations) > VIOLATIONS_SHOWN) {
            echo "  ... and " . (count($violations) - VIOLATIONS_SHOWN) . " more (all in $violationsFile)\n";
        }
    }
    file_put_contents($violationsFile, implode('', array_map(
        fn($rule, $violations) => implode('', array_map(fn($v) => "$rule: $v\n", $violations)),
        array_keys($rules), $rules)));
    echo "violations: $total (seed {$args['seed']}; replay: tools/torture --seed {$args['seed']} --seconds {$args['seconds']}"
        . " --workers {$args['workers']}" . ($args['sabotage'] ? ' --sabotage=' . implode(',', $args['sabotage']) : '') . ")\n";
    printf("%d passed, %d failed\n", count($rules) - $failed, $failed);
    return $failed === 0;
}
