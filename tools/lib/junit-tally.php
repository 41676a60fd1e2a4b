<?php
/* Prints a JUnit XML report ($argv[1], as PHPUnit 9 to 12 write it) as one line per test —
 * PASS, FAIL (a failure or an error) or SKIP (skipped or incomplete) — and last
 * "N passed, N failed, N skipped". Exits 1 when a test failed; no test run counts as one failure. */
$xml = @simplexml_load_file($argv[1]);
if ($xml === false) {
    echo "FAIL unreadable report $argv[1]\n0 passed, 1 failed, 0 skipped\n";
    exit(1);
}
$count = ['PASS' => 0, 'FAIL' => 0, 'SKIP' => 0];
foreach ($xml->xpath('//testcase') as $case) {
    $result = isset($case->failure) || isset($case->error) ? 'FAIL' : (isset($case->skipped) ? 'SKIP' : 'PASS');
    $count[$result]++;
    $name = $case['class'] . '::' . $case['name'];
    echo "$result $name\n";
}
if ($count['PASS'] + $count['FAIL'] === 0) {
    echo "FAIL no test ran\n";
    $count['FAIL'] = 1;
}
printf("%d passed, %d failed, %d skipped\n", $count['PASS'], $count['FAIL'], $count['SKIP']);
exit($count['FAIL'] > 0 ? 1 : 0);
