package dev.lumen;

/**
 * One reason for an adverse-action notice: a player (feature or group) and how much it moved
 * the output.
 *
 * @param feature its index along the explanation's feature axis
 * @param name its name ({@code feature N} when unnamed)
 * @param contribution its attribution (negative when it lowered the output), rounded to float
 * @param contributionDouble its attribution to the last bit: a double explanation's double, a
 *     float explanation's float widened (since 0.3)
 */
public record ReasonCode(int feature, String name, float contribution, double contributionDouble) {

    /**
     * A reason code of a float explanation: {@code contributionDouble} is {@code contribution}
     * widened (the record's constructor before 0.3).
     *
     * @param feature its index along the explanation's feature axis
     * @param name its name
     * @param contribution its attribution
     */
    public ReasonCode(int feature, String name, float contribution) {
        this(feature, name, contribution, contribution);
    }
}
