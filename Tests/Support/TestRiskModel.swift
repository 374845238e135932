/// A risk model small enough to reason about, in XGBoost's JSON format, over the analysis's 30 features: one tree
/// on `sanctioned_party` (feature 14), log-odds -2 without (score 12), 3 with (score 95); covers 8 and 2, so the
/// root's mean is -1 and a sanctioned party contributes +4.
public enum TestRiskModel {
    public static let json = """
        {"learner":{"objective":{"name":"binary:logistic"},"gradient_booster":{"name":"gbtree","model":{"trees":[
        {"left_children":[1,-1,-1],"right_children":[2,-1,-1],"split_indices":[14,0,0],"split_conditions":[0.5,-2.0,3.0],
        "default_left":[1,0,0],"sum_hessian":[10,8,2]}]}},
        "learner_model_param":{"base_score":"5E-1","num_feature":"30","num_class":"0","num_target":"1"}}}
        """
}
