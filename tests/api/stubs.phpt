--TEST--
stubs/rlock.php declares what the extension has: every class, method, parameter, type and default (compared by reflection)
--EXTENSIONS--
rlock
--FILE--
<?php
require __DIR__ . '/../inc/shape.inc';

$extension = rlock_shape();
// the stubs, read by a PHP without rlock, as an IDE or PHPStan reads them
$proc = proc_open([PHP_BINARY, '-n', '-r', 'require ' . var_export(dirname(__DIR__, 2) . '/stubs/rlock.php', true)
    . '; require ' . var_export(__DIR__ . '/../inc/shape.inc', true) . '; echo json_encode(rlock_shape());'],
    [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
$stubs = json_decode(stream_get_contents($pipes[1]), true);
$errors = stream_get_contents($pipes[2]);
proc_close($proc);
echo "classes: ", count($extension), " in the extension, ", count($stubs ?? []), " in the stubs\n";
echo $stubs === json_decode(json_encode($extension), true)
    ? "stubs match the extension\n" : "MISMATCH\n" . json_encode($extension) . "\n" . json_encode($stubs) . $errors;
?>
--EXPECT--
classes: 9 in the extension, 9 in the stubs
stubs match the extension
