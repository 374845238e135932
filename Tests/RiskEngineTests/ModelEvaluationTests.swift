import RiskEngine
import Testing

@Suite struct ModelEvaluationTests {
    /// scikit-learn's documented example of `average_precision_score`: 0.83 (thresholds 0.8, 0.4, 0.35, 0.1 give
    /// precision 1, 0.5, 2/3 and 0.5 at recall 0.5, 0.5, 1 and 1).
    @Test func averagePrecisionMatchesScikitLearnsExample() {
        let ap = ModelEvaluation.averagePrecision(scores: [0.1, 0.4, 0.35, 0.8], labels: [false, false, true, true])
        #expect(abs(ap - 5.0 / 6.0) < 1e-12, "\(ap)")
    }

    /// Ties share a threshold: one positive and one negative at the same score count as precision 1/2, in
    /// whichever order they come.
    @Test func tiedScoresShareOneThreshold() {
        #expect(ModelEvaluation.averagePrecision(scores: [0.5, 0.5], labels: [true, false]) == 0.5)
        #expect(ModelEvaluation.averagePrecision(scores: [0.5, 0.5], labels: [false, true]) == 0.5)
        #expect(ModelEvaluation.averagePrecision(scores: [0.9, 0.5, 0.1], labels: [true, true, false]) == 1)
        #expect(ModelEvaluation.averagePrecision(scores: [0.9, 0.1], labels: [false, false]) == 0)
    }
}
