"""The study's digit classifier: scores, training, saving and loading."""

from __future__ import annotations

import math

import pytest
import torch

from latentspace.files.datasets import images_to_vectors
from latentspace.errors import LatentspaceError
from latentspace.files.idx_format import read_image_label_pair
from latentspace.settings.declared import ClassifierRun
from latentspace.study.classifier import (
    ClassifierEnsemble,
    DigitClassifier,
    ShiftAveraged,
    accuracy,
    confidence_and_entropy,
    load_classifier,
    predict_probabilities,
    random_affine,
    random_shifts,
    save_classifier,
    train_classifier,
)



def plain(epochs, batch_size, learning_rate, seed, max_shift_px, max_rotation_degrees=0.0, max_scale_change=0.0,
          **options) -> ClassifierRun:
    """A classifier's settings with every option off that is not named (the declared defaults switch
    label smoothing and weight averaging on)."""
    return ClassifierRun(
        epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, seed=seed, max_shift_px=max_shift_px,
        max_rotation_degrees=max_rotation_degrees, max_scale_change=max_scale_change,
        **{"members": 1, "label_smoothing": 0.0, "averaged_epochs": 1, "test_time_shift_px": 0, **options},
    )

def test_confidence_and_entropy_of_known_distributions():
    probabilities = torch.stack([torch.full((10,), 0.1), torch.nn.functional.one_hot(torch.tensor(3), 10).float()])
    confidence, entropy = confidence_and_entropy(probabilities)
    torch.testing.assert_close(confidence, torch.tensor([0.1, 1.0]))
    torch.testing.assert_close(entropy, torch.tensor([math.log(10), 0.0]))  # 0 log 0 counts as 0


def test_training_learns_digits_and_the_saved_classifier_predicts_the_same(mnist_idx, tmp_path):
    images, labels = read_image_label_pair(
        mnist_idx.folder / "t10k-images-idx3-ubyte.gz", mnist_idx.folder / "t10k-labels-idx1-ubyte.gz"
    )
    x, y = images_to_vectors(images[:2500]), torch.from_numpy(labels[:2500]).long()
    torch.set_num_threads(1)
    settings = plain(epochs=2, batch_size=128, learning_rate=4e-3, seed=0, max_shift_px=2)
    classifier, losses = train_classifier(x[:2000], y[:2000], settings)
    assert len(losses) == 2 and losses[1] < losses[0]
    probabilities = predict_probabilities(classifier, x[2000:], batch_size=64)  # several batches
    assert probabilities.shape == (500, 10)
    torch.testing.assert_close(probabilities.sum(dim=1), torch.ones(500))
    assert accuracy(probabilities, y[2000:]) > 0.6  # far above chance (0.1) after two short epochs
    path = tmp_path / "classifier.pt"
    save_classifier(path, classifier, settings)
    reloaded = load_classifier(path)
    torch.testing.assert_close(predict_probabilities(reloaded, x[2000:]), probabilities)
    again, _ = train_classifier(x[:2000], y[:2000], settings)  # same seed, same weights
    torch.testing.assert_close(predict_probabilities(again, x[2000:]), probabilities)


def test_unreadable_or_missing_classifier_files_fail_with_one_line(tmp_path):
    with pytest.raises(LatentspaceError, match=r"missing\.pt: not found \(expected a latentspace digit classifier\)"):
        load_classifier(tmp_path / "missing.pt")
    broken = tmp_path / "broken.pt"
    torch.save({"format_version": 1, "dropout": 0.3, "state_dict": {"nonsense": torch.zeros(1)}}, broken)
    with pytest.raises(LatentspaceError, match=r"broken\.pt: unexpected contents: Error\(s\) in loading state_dict"):
        load_classifier(broken)
    assert isinstance(DigitClassifier()(torch.zeros(2, 784)), torch.Tensor)


def test_settings_name_the_bad_field():
    with pytest.raises(LatentspaceError, match="^epochs: expected an integer of at least 1, got 0"):
        plain(epochs=0, batch_size=1, learning_rate=1e-3, seed=0, max_shift_px=0)


def test_random_shifts_move_a_digit_by_at_most_the_maximum():
    images = torch.zeros(200, 784)
    images[:, 14 * 28 + 14] = 1.0  # one bright pixel in the middle of every image
    shifted = random_shifts(images, 2, torch.Generator().manual_seed(0)).view(200, 28, 28)
    rows, cols = torch.nonzero(shifted, as_tuple=True)[1:]
    assert len(rows) == 200  # nothing was lost at the border
    assert set((rows - 14).tolist()) == set((cols - 14).tolist()) == {-2, -1, 0, 1, 2}
    torch.testing.assert_close(random_shifts(images, 0, torch.Generator()), images)


def test_saving_the_same_classifier_twice_gives_the_same_bytes(tmp_path):
    torch.manual_seed(0)
    classifier, settings = DigitClassifier(), plain(1, 1, 1e-3, 0, 0)
    save_classifier(tmp_path / "a.pt", classifier, settings)
    save_classifier(tmp_path / "b.pt", classifier, settings)
    assert (tmp_path / "a.pt").read_bytes() == (tmp_path / "b.pt").read_bytes()


def test_random_affine_moves_a_digit_as_asked():
    image = torch.zeros(1, 28, 28)
    image[0, 10:18, 12:16] = 1.0  # a bar, 8 rows x 4 columns
    flat = image.reshape(1, -1)
    generator = torch.Generator().manual_seed(0)
    assert torch.allclose(random_affine(flat, 0, 0.0, 0.0, generator), flat, atol=1e-6)  # nothing asked, nothing moves
    rotated = random_affine(flat.repeat(64, 1), 0, 45.0, 0.0, torch.Generator().manual_seed(1)).reshape(64, 28, 28)
    assert not torch.allclose(rotated[0], rotated[1])                      # each image its own angle
    assert torch.allclose(rotated.sum(dim=(1, 2)), flat.sum().expand(64), rtol=0.15)  # ink kept (bilinear)
    again = random_affine(flat.repeat(64, 1), 0, 45.0, 0.0, torch.Generator().manual_seed(1)).reshape(64, 28, 28)
    assert torch.equal(rotated, again)                                     # seeded


def test_an_ensemble_averages_its_members_and_saves_as_one_file(tmp_path):
    torch.manual_seed(0)
    x, y = torch.rand(64, 784), torch.randint(0, 10, (64,))
    settings = plain(1, 32, 1e-3, 5, 2, 10.0, 0.1, members=2)
    ensemble, losses = train_classifier(x, y, settings)
    assert isinstance(ensemble, ClassifierEnsemble) and len(ensemble.members) == 2 and len(losses) == 1
    member_probabilities = torch.stack([predict_probabilities(member, x) for member in ensemble.members])
    torch.testing.assert_close(predict_probabilities(ensemble, x), member_probabilities.mean(dim=0))
    save_classifier(tmp_path / "ensemble.pt", ensemble, settings)
    reloaded = load_classifier(tmp_path / "ensemble.pt")
    assert isinstance(reloaded, ClassifierEnsemble)
    assert torch.equal(predict_probabilities(reloaded, x), predict_probabilities(ensemble, x))
    # Member k is the network a one-member run with seed + 2k trains.
    single, _ = train_classifier(x, y, plain(1, 32, 1e-3, 7, 2, 10.0, 0.1))
    assert torch.equal(predict_probabilities(single, x), predict_probabilities(ensemble.members[1], x))


def test_augmentation_and_ensemble_settings_are_checked():
    for bad in ({"max_rotation_degrees": -1.0}, {"max_rotation_degrees": 46.0}, {"max_scale_change": 0.5},
                {"members": 0}, {"label_smoothing": 1.0}, {"averaged_epochs": 0},
                {"test_time_shift_px": 14}):
        with pytest.raises(LatentspaceError, match=f"^{next(iter(bad))}: expected "):
            plain(1, 1, 1e-3, 0, 0, **bad)


def test_test_time_shifts_average_five_placements_and_survive_saving(tmp_path):
    torch.manual_seed(0)
    network, x = DigitClassifier().eval(), torch.rand(6, 784)
    averaged = ShiftAveraged(network, 1)
    images = x.view(6, 28, 28)
    placements = [images, torch.roll(images, 1, 1), torch.roll(images, -1, 1), torch.roll(images, 1, 2),
                  torch.roll(images, -1, 2)]
    for placement, (dim, step) in zip(placements[1:], [(1, 1), (1, -1), (2, 1), (2, -1)]):
        edge = 0 if step == 1 else 27  # the row or column that rolled round becomes background
        placement.select(dim, edge).zero_()
    expected = torch.stack([predict_probabilities(network, p.reshape(6, -1)) for p in placements]).mean(dim=0)
    torch.testing.assert_close(predict_probabilities(averaged, x), expected)
    settings = plain(1, 8, 1e-3, 0, 0, test_time_shift_px=1)
    save_classifier(tmp_path / "shifted.pt", averaged, settings)
    reloaded = load_classifier(tmp_path / "shifted.pt")
    assert isinstance(reloaded, ShiftAveraged) and reloaded.shift_px == 1
    assert torch.equal(predict_probabilities(reloaded, x), predict_probabilities(averaged, x))
    trained, _ = train_classifier(x, torch.arange(6), settings)
    assert isinstance(trained, ShiftAveraged)


def test_averaging_the_last_epochs_changes_only_the_final_weights():
    torch.manual_seed(0)
    x, y = torch.rand(64, 784), torch.randint(0, 10, (64,))
    last, last_losses = train_classifier(x, y, plain(3, 16, 1e-2, 3, 0))
    averaged, averaged_losses = train_classifier(x, y, plain(3, 16, 1e-2, 3, 0, averaged_epochs=3))
    assert averaged_losses == last_losses  # the same training; only what is kept differs
    assert not torch.equal(predict_probabilities(averaged, x), predict_probabilities(last, x))
    again, _ = train_classifier(x, y, plain(3, 16, 1e-2, 3, 0, averaged_epochs=5))  # all three
    assert torch.equal(predict_probabilities(again, x), predict_probabilities(averaged, x))
