/// How well a model's scores rank the positives of a labelled set.
public enum ModelEvaluation {
    /// The area under the precision-recall curve as average precision (scikit-learn's
    /// `average_precision_score`): the precision at each distinct score threshold, from the highest down,
    /// weighted by the recall it adds. 0 when there is no positive.
    public static func averagePrecision(scores: [Double], labels: [Bool]) -> Double {
        precondition(scores.count == labels.count, "one label per score")
        let positives = labels.filter { $0 }.count
        guard positives > 0 else { return 0 }
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var (truePositives, seen, area, previousRecall) = (0, 0, 0.0, 0.0)
        var position = 0
        while position < order.count {
            // Rows with equal scores share one threshold.
            let score = scores[order[position]]
            while position < order.count, scores[order[position]] == score {
                if labels[order[position]] { truePositives += 1 }
                seen += 1
                position += 1
            }
            let recall = Double(truePositives) / Double(positives)
            area += (recall - previousRecall) * Double(truePositives) / Double(seen)
            previousRecall = recall
        }
        return area
    }
}
