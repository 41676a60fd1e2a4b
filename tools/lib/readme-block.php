<?php
/* Generated sections of a markdown page (README.md, docs/*.md): the text between <!-- NAME:start --> and <!-- NAME:end --> is replaced. */

function readme_replace_block(string $readme, string $name, string $markdown): void
{
    $text = file_get_contents($readme);
    $start = "<!-- $name:start -->";
    $end = "<!-- $name:end -->";
    $a = strpos($text, $start);
    $b = strpos($text, $end);
    if ($a === false || $b === false) {
        fwrite(STDERR, "$readme has no $start ... $end markers; not written\n");
        return;
    }
    file_put_contents($readme, substr($text, 0, $a + strlen($start)) . "\n" . $markdown . substr($text, $b));
}
