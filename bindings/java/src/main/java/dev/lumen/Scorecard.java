package dev.lumen;

/**
 * Credit-scorecard points from a probability of good:
 * {@code baseScore + PDO / ln 2 · ln(odds / baseOdds)} with {@code odds = p / (1 − p)}.
 *
 * @param baseScore points at the base odds
 * @param baseOdds good:bad odds that score {@code baseScore}
 * @param pointsToDoubleOdds points that double the odds (PDO)
 */
public record Scorecard(double baseScore, double baseOdds, double pointsToDoubleOdds) {
    /** 600 points at 20:1 odds, 15 points to double the odds. */
    public static final Scorecard DEFAULT = new Scorecard(600, 20, 15);

    /**
     * The score of {@code pGood}, strictly between 0 and 1.
     *
     * @param pGood the probability of the good outcome, in (0, 1)
     * @return the score in points
     * @throws InvalidArgumentException on a probability outside (0, 1) or an invalid scorecard
     */
    public double score(double pGood) {
        NativeLibrary.ensureLoaded();
        return NativeLumen.scorecardScore(baseScore, baseOdds, pointsToDoubleOdds, pGood);
    }
}
