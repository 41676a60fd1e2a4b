<?php
/* The torture run's observer: an append-only file of JSON lines, one per event,
 * written by the workers and the driver themselves at the moment it happens.
 * It knows nothing of rlock. Each line is stamped with hrtime() while the
 * writer holds an exclusive flock, so the order of the lines is a total order
 * that agrees with the timestamps across every process. */

final class Ledger
{
    private $file;

    public function __construct(private string $path, private string $writer)
    {
    }

    /** Appends one event: $event plus t (ns, monotonic, taken under the lock) and w (who wrote it). */
    public function append(string $type, array $fields = []): int
    {
        if (!$this->file) {
            $this->file = fopen($this->path, 'a');
        }
        flock($this->file, LOCK_EX);
        try {
            $t = hrtime(true);
            fwrite($this->file, json_encode(['t' => $t, 'w' => $this->writer, 'ev' => $type] + $fields,
                JSON_UNESCAPED_SLASHES) . "\n");
            fflush($this->file);
        } finally {
            flock($this->file, LOCK_UN);
        }
        return $t;
    }

    /** Every event in file order; a torn last line (a writer killed mid-write) is skipped. */
    public static function read(string $path): Generator
    {
        $file = fopen($path, 'r');
        while (($line = fgets($file)) !== false) {
            $event = json_decode($line, true);
            if (is_array($event)) {
                yield $event;
            }
        }
        fclose($file);
    }
}
