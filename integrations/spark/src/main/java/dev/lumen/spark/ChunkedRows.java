package dev.lumen.spark;

import java.util.Collections;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.function.Supplier;
import org.apache.spark.sql.Row;

/**
 * The output rows of a partition, produced a chunk at a time and only when asked for: a batch of
 * rows (or one sequence's events) is read from the input and explained when the rows before it
 * have been consumed. Used by the partition functions of {@link LumenExplainer} and
 * {@link SequenceExplainer}.
 */
final class ChunkedRows implements Iterator<Row> {
    private final Supplier<Iterator<Row>> nextChunk;
    private Iterator<Row> ready = Collections.emptyIterator();

    /**
     * Rows from {@code nextChunk}, which reads and explains the next chunk of the input and
     * returns its output rows, or null when the input is exhausted.
     */
    ChunkedRows(Supplier<Iterator<Row>> nextChunk) {
        this.nextChunk = nextChunk;
    }

    @Override
    public boolean hasNext() {
        while (!ready.hasNext()) {
            Iterator<Row> chunk = nextChunk.get();
            if (chunk == null) {
                return false;
            }
            ready = chunk;
        }
        return true;
    }

    @Override
    public Row next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        return ready.next();
    }
}
