package dev.lumen.spark;

import dev.lumen.CallOptions;
import java.math.BigDecimal;

/**
 * Lumen's row keys, computed on the JVM: the key of an id value (as every binding and the
 * {@code lumen} command's {@code --id-column} derive it) and the default key of a row, a hash of
 * its feature values. The integration always passes the keys it computes here to the engine, so
 * the {@code lumen_key} column it writes is the key the row's random draws came from.
 */
public final class RowKeys {
    /** SipHash keys of Lumen's row keys: the ASCII of "lumen.rowkeys.v1" (Lumen's {@code SIP_KEYS}). */
    private static final long K0 = 0x6c75_6d65_6e2e_726fL;
    private static final long K1 = 0x776b_6579_732e_7631L;
    /** The domain tag of keys hashed from values (Lumen's {@code VALUES_TAG}). */
    private static final long VALUES_TAG = 1;

    private RowKeys() {}

    /**
     * The key of an id value: {@link CallOptions#rowKey(String)} of its string form. Strings are
     * used as they are; integral numbers (byte, short, int, long, integral decimals) in plain
     * decimal, so the id 1042 stored as an int, a long or a string gives one key; any other value
     * by {@link String#valueOf(Object)}.
     *
     * @param id the id (not null)
     * @return its 64-bit key (unsigned bits in a long)
     * @throws IllegalArgumentException when {@code id} is null
     */
    public static long ofId(Object id) {
        if (id == null) {
            throw new IllegalArgumentException("row id: is null, expected a value to key the row by");
        }
        return CallOptions.rowKey(idString(id));
    }

    /**
     * The string an id value is hashed as (see {@link #ofId(Object)}).
     *
     * @param id the id (not null)
     * @return its string form
     */
    public static String idString(Object id) {
        if (id instanceof BigDecimal) {
            BigDecimal d = (BigDecimal) id;
            return d.stripTrailingZeros().scale() <= 0 ? d.toBigInteger().toString() : d.toPlainString();
        }
        return String.valueOf(id);
    }

    /**
     * Lumen's default key of a row: SipHash-2-4 (Lumen's fixed keys) of the tag 1, the number of
     * values and each value's IEEE-754 bits ({@code -0} as {@code +0}), all little-endian; equal to
     * the key the engine derives when it is given no keys (Rust {@code row_key_of_values}).
     *
     * @param values the row's feature values, in model-input order
     * @return its 64-bit key (unsigned bits in a long)
     */
    public static long ofValues(float[] values) {
        return ofValues(values, 0, values.length);
    }

    /**
     * {@link #ofValues(float[])} of {@code values[from .. from + length)}.
     *
     * @param values the rows' values
     * @param from the first value of the row
     * @param length the row's length
     * @return its 64-bit key (unsigned bits in a long)
     */
    public static long ofValues(float[] values, int from, int length) {
        byte[] bytes = new byte[16 + 4 * length];
        putLong(bytes, 0, VALUES_TAG);
        putLong(bytes, 8, length);
        for (int i = 0; i < length; i++) {
            float v = values[from + i];
            int bits = v == 0.0f ? 0 : Float.floatToRawIntBits(v);
            int at = 16 + 4 * i;
            bytes[at] = (byte) bits;
            bytes[at + 1] = (byte) (bits >>> 8);
            bytes[at + 2] = (byte) (bits >>> 16);
            bytes[at + 3] = (byte) (bits >>> 24);
        }
        return sipHash24(bytes);
    }

    /**
     * The key as Lumen's audit JSON writes it: 16 lower-case hex digits.
     *
     * @param key a row key
     * @return its 16 hex digits
     */
    public static String hex(long key) {
        return String.format("%016x", key);
    }

    private static void putLong(byte[] b, int at, long v) {
        for (int i = 0; i < 8; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }

    /** SipHash-2-4 of {@code m} with the keys {@link #K0}, {@link #K1}. */
    static long sipHash24(byte[] m) {
        long v0 = 0x736f6d6570736575L ^ K0;
        long v1 = 0x646f72616e646f6dL ^ K1;
        long v2 = 0x6c7967656e657261L ^ K0;
        long v3 = 0x7465646279746573L ^ K1;
        int len = m.length;
        int end = len - (len % 8);
        long[] v = {v0, v1, v2, v3};
        for (int i = 0; i < end; i += 8) {
            long mi = 0;
            for (int j = 7; j >= 0; j--) {
                mi = (mi << 8) | (m[i + j] & 0xffL);
            }
            v[3] ^= mi;
            round(v);
            round(v);
            v[0] ^= mi;
        }
        long b = ((long) len & 0xff) << 56;
        for (int i = end; i < len; i++) {
            b |= (m[i] & 0xffL) << (8 * (i - end));
        }
        v[3] ^= b;
        round(v);
        round(v);
        v[0] ^= b;
        v[2] ^= 0xff;
        for (int i = 0; i < 4; i++) {
            round(v);
        }
        return v[0] ^ v[1] ^ v[2] ^ v[3];
    }

    private static void round(long[] v) {
        v[0] += v[1];
        v[1] = Long.rotateLeft(v[1], 13);
        v[1] ^= v[0];
        v[0] = Long.rotateLeft(v[0], 32);
        v[2] += v[3];
        v[3] = Long.rotateLeft(v[3], 16);
        v[3] ^= v[2];
        v[0] += v[3];
        v[3] = Long.rotateLeft(v[3], 21);
        v[3] ^= v[0];
        v[2] += v[1];
        v[1] = Long.rotateLeft(v[1], 17);
        v[1] ^= v[2];
        v[2] = Long.rotateLeft(v[2], 32);
    }
}
