"""The study's reading: sentences chosen by the verdicts of the summary they are given."""

from __future__ import annotations

from test_study_tables import summary_for

from latentspace.study.reading import bracket_text, classifier_sentence, number, reading, study_words


def test_reading_says_where_a_method_helps_and_where_it_does_not():
    helps = {(50, "prior", "slerp"): (0.08, 0.05, 0.11), (2, "prior", "slerp"): (0.01, -0.02, 0.03),
             (50, "encoded", "slerp"): (-0.06, -0.09, -0.02)}
    text = " ".join(reading(summary_for(helps)))
    assert "slerp raises it by 0.08 (95% interval 0.05 to 0.11)" in text
    assert "slerp lowers it by 0.06 (95% interval 0.02 to 0.09), so it does not help here" in text
    assert "slerp gives measurably more confident midpoints than lerp at z = 50, but not at z = 2" in text
    assert "distribution-matched gives no measurably more confident midpoints than lerp at any latent size" in text
    assert "no measurable difference over 40 pairs" in text


def test_the_classifier_verdict_is_worded_once_outside_the_reading():
    strong, weak = summary_for(accuracy=0.98), summary_for({(50, "prior", "slerp"): (0.08, 0.05, 0.11)}, accuracy=0.90)
    assert "above the 97% bar" in classifier_sentence(strong["classifier"])
    words = study_words(weak)
    assert "too weak to judge" in words["classifier"] and "90.0%" in words["classifier"]
    assert not any("classifier that judges" in sentence for sentence in words["reading"])
    assert not any("confident midpoints" in sentence for sentence in words["reading"])


def test_reading_of_where_the_encoded_digits_lie():
    inside = " ".join(reading(summary_for(posterior_mean_ratio=0.3)))
    assert "median norm of 0.30 of the radius, well inside the shell" in inside and "start off the shell" in inside
    on = " ".join(reading(summary_for(posterior_mean_ratio=0.95)))
    assert "within the range of the prior's draws" in on and "start on the shell" in on
    beyond = " ".join(reading(summary_for(posterior_mean_ratio=2.5)))
    assert "beyond the range of the prior's draws" in beyond and "start off the shell" in beyond


def test_numbers_are_written_with_true_minus_signs():
    assert number(-0.034) == "\u22120.03" and number(-0.001) == "0.00" and number(0.5, 1) == "0.5"
    assert bracket_text({"mean": 0.03, "ci_low": 0.01, "ci_high": 0.05}) == "+0.03 [0.01, 0.05]"
    assert bracket_text({"mean": -0.02, "ci_low": -0.04, "ci_high": 0.01}) == "\u22120.02 [\u22120.04, 0.01]"
