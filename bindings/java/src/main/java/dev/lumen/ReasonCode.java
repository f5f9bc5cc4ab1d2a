package dev.lumen;

/**
 * One reason for an adverse-action notice: a player (feature or group) and how much it moved
 * the output.
 *
 * @param feature its index along the explanation's feature axis
 * @param name its name ({@code feature N} when unnamed)
 * @param contribution its attribution (negative when it lowered the output)
 */
public record ReasonCode(int feature, String name, float contribution) {}
