package dev.lumen.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Groups of feature columns resolved against the feature list: every feature in exactly one
 * player, ungrouped features each a player of their own, players ordered by their first feature.
 */
final class Players {
    final String[] names;
    final int[][] members;

    private Players(String[] names, int[][] members) {
        this.names = names;
        this.members = members;
    }

    /** Resolves {@code groups} (name → columns; null or empty: every feature alone). */
    static Players resolve(LinkedHashMap<String, String[]> groups, String[] features) {
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < features.length; i++) {
            index.put(features[i], i);
        }
        String[] groupOf = new String[features.length];
        if (groups != null) {
            for (Map.Entry<String, String[]> g : groups.entrySet()) {
                if (g.getValue() == null || g.getValue().length == 0) {
                    throw new IllegalArgumentException("groups: group '" + g.getKey() + "' is empty, expected feature columns");
                }
                for (String column : g.getValue()) {
                    Integer i = index.get(column);
                    if (i == null) {
                        throw new IllegalArgumentException("groups: group '" + g.getKey() + "' names column '" + column
                                + "', which is not a feature column " + Arrays.toString(features));
                    }
                    if (groupOf[i] != null) {
                        throw new IllegalArgumentException("groups: column '" + column + "' is in groups '" + groupOf[i]
                                + "' and '" + g.getKey() + "'; each column in one group");
                    }
                    groupOf[i] = g.getKey();
                }
            }
        }
        List<String> names = new ArrayList<>();
        List<List<Integer>> members = new ArrayList<>();
        Map<String, Integer> player = new HashMap<>();
        for (int i = 0; i < features.length; i++) {
            String name = groupOf[i] == null ? features[i] : groupOf[i];
            Integer p = groupOf[i] == null ? null : player.get(name);
            if (p == null) {
                p = names.size();
                if (groupOf[i] != null) {
                    player.put(name, p);
                }
                names.add(name);
                members.add(new ArrayList<>());
            }
            members.get(p).add(i);
        }
        int[][] m = new int[members.size()][];
        for (int p = 0; p < m.length; p++) {
            m[p] = members.get(p).stream().mapToInt(Integer::intValue).toArray();
        }
        return new Players(names.toArray(new String[0]), m);
    }

    /** Whether some player holds more than one feature. */
    boolean grouped() {
        for (int[] m : members) {
            if (m.length > 1) {
                return true;
            }
        }
        return false;
    }
}
