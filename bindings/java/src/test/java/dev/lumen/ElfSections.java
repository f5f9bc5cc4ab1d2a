package dev.lumen;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The section names of a 64-bit ELF file (what {@code readelf -S} lists), to check what was stripped. */
final class ElfSections {
    private ElfSections() {}

    /** The names of the sections of {@code elf}, a 64-bit ELF image. */
    static List<String> names(byte[] elf) {
        ByteBuffer b = ByteBuffer.wrap(elf);
        if (elf.length < 64 || b.getInt(0) != 0x7f454c46 || elf[4] != 2) {
            throw new IllegalArgumentException("not a 64-bit ELF file");
        }
        b.order(elf[5] == 1 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
        long headers = b.getLong(0x28);
        int size = Short.toUnsignedInt(b.getShort(0x3a));
        int count = Short.toUnsignedInt(b.getShort(0x3c));
        int namesIndex = Short.toUnsignedInt(b.getShort(0x3e));
        long table = b.getLong(Math.toIntExact(headers + (long) namesIndex * size + 0x18));
        List<String> names = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long name = Integer.toUnsignedLong(b.getInt(Math.toIntExact(headers + (long) i * size)));
            int start = Math.toIntExact(table + name);
            int end = start;
            while (elf[end] != 0) {
                end++;
            }
            names.add(new String(elf, start, end - start, StandardCharsets.US_ASCII));
        }
        return names;
    }
}
