/* An installed-Lumen consumer in C, linked statically: the library's version and a
 * scorecard score. Prints "consumer (C): lumen VERSION, score OK" and exits 0. */
#include <math.h>
#include <stdio.h>

#include <lumen.h>

int main(void) {
    double score = 0.0;
    if (lumen_scorecard_score(0.5, 600.0, 1.0, 20.0, &score) != LUMEN_STATUS_OK || fabs(score - 600.0) > 1e-9) {
        printf("consumer (C): scorecard failed: %s\n", lumen_last_error_message());
        return 1;
    }
    printf("consumer (C): lumen %s, score OK\n", lumen_version());
    return 0;
}
