"""The article's run-dependent sentences follow the numbers, including numbers that go against the article."""

from __future__ import annotations

from test_study_tables import summary_for

from latentspace.article_claims import (
    article_claims,
    conclusion_sentence,
    figure11_comparison_sentence,
    figure11_evidence,
    figure11_pair_sentence,
    reconstruction_sentence,
    trained_range_sentence,
)

# summary_for() studies z = 2 and z = 50; Figure 11's model here is z = 50.
F11_DIM = 50


def interpolation(latent_dim=F11_DIM, lerp_ratio=0.71, lerp_confidences=(0.9, 0.5, 0.6, 0.9),
                  slerp_confidences=(0.9, 0.8, 0.7, 0.9)):
    steps = len(lerp_confidences)
    return {"latent_dim": latent_dim, "steps": steps, "lerp_midpoint_norm_ratio": lerp_ratio,
            "lerp_confidences": list(lerp_confidences), "slerp_confidences": list(slerp_confidences),
            "lerp_norm_ratios": [1.0] * steps, "slerp_norm_ratios": [1.0] * steps}


def models(reconstruction):
    return [{"latent_dim": dim, "test_reconstruction_nats": nats} for dim, nats in reconstruction.items()]


def test_figure11_text_follows_the_article_when_the_run_agrees():
    study = summary_for({(F11_DIM, "prior", "slerp"): (0.08, 0.05, 0.11)})
    text = figure11_comparison_sentence(study, F11_DIM)
    assert text.startswith("The original article reports that the slerp row keeps")
    assert "lerp's midpoints lose confidence against their endpoints, by 0.10 (95% interval 0.05 to 0.15)" in text
    assert "slerp's midpoints score higher than lerp's by 0.08 (95% interval 0.05 to 0.11)" in text
    assert "more digit-like than lerp's at z = 50, but not at z = 2" in conclusion_sentence(study)


def test_figure11_text_says_so_when_lerp_beats_slerp():
    study = summary_for({(F11_DIM, "prior", "slerp"): (-0.04, -0.07, -0.01)})
    text = figure11_comparison_sentence(study, F11_DIM)
    assert "slerp's midpoints score lower than lerp's, by 0.04 (95% interval 0.01 to 0.07)" in text
    assert "this run contradicts the claim" in text and "score higher" not in text
    conclusion = conclusion_sentence(study)
    assert "measurably less digit-like than lerp's at z = 50, which goes against the lesson" in conclusion


def test_an_interval_that_holds_zero_is_no_measurable_difference():
    study = summary_for({(F11_DIM, "prior", "slerp"): (0.01, -0.01, 0.03), (2, "prior", "slerp"): (0.0, -0.02, 0.02)})
    text = figure11_comparison_sentence(study, F11_DIM)
    assert "slerp and lerp differ by 0.01 (95% interval \u22120.01 to 0.03) at the midpoint, no measurable difference" in text
    assert "no studied size shows a measurable difference" in conclusion_sentence(study)


def test_the_pair_shown_is_one_draw_and_said_to_be():
    text = figure11_pair_sentence(interpolation(lerp_confidences=(0.9, 0.8, 0.9, 0.9), slerp_confidences=(0.9, 0.4, 0.5, 0.9)))
    assert "two middle columns is 0.85 for lerp and 0.45 for slerp" in text and "one pair is one draw" in text


def test_a_run_whose_study_lacks_the_figure_size_says_the_measurement_is_missing():
    study = summary_for()
    assert "does not include z = 500" in figure11_comparison_sentence(study, 500)
    assert figure11_evidence(study, 500) == {"available": False, "pairs": None, "level": None,
                                             "gaps": {"lerp": None, "slerp": None}}
    assert "does not include z = 500" in trained_range_sentence(study, interpolation(latent_dim=500))
    claims = article_claims(models({2: 150.0, 10: 100.0, 500: 110.0}), study, interpolation(latent_dim=500),
                            {"f02_latent_grid": 2, "f07_sphere_spiral_10d": 10})
    assert "does not include z = 10" in claims["spiral_trained_norms"] and claims["spiral_in_between"] == ""
    assert all(isinstance(value, (str, dict)) for value in claims.values())


def test_a_weak_classifier_makes_no_claim_about_digits():
    study = summary_for({(F11_DIM, "prior", "slerp"): (0.08, 0.05, 0.11)}, accuracy=0.90)
    for text in (figure11_comparison_sentence(study, F11_DIM), conclusion_sentence(study)):
        assert "cannot say how digit-like" in text and "score higher" not in text


def test_where_the_lerp_midpoint_lies_against_the_training_codes():
    study = summary_for()  # posterior draws of z = 50 have norms between 0.8 and 1.2 (5% to 95%)
    assert "is below almost every code the decoder was trained on" in trained_range_sentence(study, interpolation(lerp_ratio=0.71))
    assert "is within the range of the codes" in trained_range_sentence(study, interpolation(lerp_ratio=0.95))


def test_the_small_model_is_not_called_blurry_when_it_reconstructs_best():
    assert "z = 2 reconstructs best here" in reconstruction_sentence(models({2: 80.0, 10: 90.0, 500: 95.0}), 2)
    assert "the least precise reconstructions" in reconstruction_sentence(models({2: 150.0, 10: 100.0}), 2)
    assert "better than at z = 500" in reconstruction_sentence(models({2: 120.0, 10: 100.0, 500: 130.0}), 2)
