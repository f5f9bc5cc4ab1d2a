package dev.lumen;

import java.util.OptionalInt;

/**
 * A TimeSHAP player as the {@code timeshap} package names it.
 *
 * @param name the package's name: "Event -1" (the most recent event), a feature's name (or
 *     "Feature j"), at cell level its (Event, Feature) row such as "(Event -1, amount)",
 *     "(Event -2, Other Features)", "(Other Events, amount)", "(Other Events, Other Features)"
 *     (Lumen's "Other Cells"), and "Pruned Events" ("(Pruned Events, Pruned Events)" at cell
 *     level)
 * @param event the event counted from the newest as the package does (-1 is the most recent),
 *     empty where the player has no single event
 * @param feature the feature index, empty where the player has none
 */
public record TimeShapPlayer(String name, OptionalInt event, OptionalInt feature) {}
