"""The replayed CUDA training path: its batching on any device, its equality with eager steps on CUDA.

On the CPU: the batch plan covers each image once per epoch in the permutation's order,
the static-buffer gather copies the rows indexing would, and an epoch driven the way the
replayed path drives it (full batches through fixed input and noise buffers, the ragged
batch eagerly) gives the eager loop's weights bit for bit when the captured step is run
directly instead of replayed. Restoring the state the warm-up changed gives a fresh
optimizer's next step. The helpers of a failed capture: the error that started it is
found behind the ones raised after it, and torch's capturable warning is silenced inside
the warm-up only. On CUDA (skipped without one), every test that trains counts the
graph's replays (epochs x full batches), so none passes by quietly training eagerly: one
replayed step equals one eager step, training twice gives the same weights, replayed
epochs equal eager ones, a capture broken partway (a sync while capturing) falls back with
one warning line that names the sync's error and leaves the default stream current, no
private memory pool behind and a later capture working, the warm-up runs under
``-W error``, and a stopped run resumes bit for bit with Adam's state on the GPU.
"""

from __future__ import annotations

import gc
import inspect
import re
import warnings

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from latentspace.training.batching import BatchPlan, epoch_order, gather_into
from latentspace.training.checkpoints import load_training_state, save_training_state
from latentspace.files.datasets import build_dataset, images_to_vectors
from latentspace.training.graph_step import (
    CAPTURABLE_WARNING,
    ModelSnapshot,
    ReplayedStep,
    capturable_warning_silenced,
    first_error,
)
from latentspace.model.vae import VAEConfig
from latentspace.settings.declared import TrainingRun
from latentspace.training.loop import (
    TrainingInterrupted,
    _train_step,
    build_model,
    make_optimizer,
    new_training_state,
    run_epochs,
    tensors_sha256,
    train_epoch,
)

CPU = torch.device("cpu")
CONFIG = VAEConfig(latent_dim=3, hidden_dims=(48, 24))
BATCH = 64
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.fixture(scope="module")
def digits():
    dataset = build_dataset("mnist-5k", seed=0, test_fraction=0.1)
    # 1000 = 15 full batches of 64 and a ragged one of 40.
    return images_to_vectors(dataset.train_images[:1000]), images_to_vectors(dataset.test_images[:200])


# Batch plan, order and gather (device-independent).


@settings(max_examples=200, deadline=None)
@given(size=st.integers(1, 2000), batch_size=st.integers(1, 300))
def test_plan_covers_every_position_once_in_order(size, batch_size):
    plan = BatchPlan(size, batch_size)
    bounds = plan.bounds()
    assert [start for start, _ in bounds] == list(range(0, size, batch_size))
    assert bounds[0][0] == 0 and bounds[-1][1] == size
    assert all(stop == next_start for (_, stop), (next_start, _) in zip(bounds, bounds[1:]))
    sizes = [stop - start for start, stop in bounds]
    assert sizes[: plan.full_batches] == [batch_size] * plan.full_batches
    assert len(bounds) == plan.full_batches + (plan.remainder > 0)
    assert plan.full_batches * batch_size + plan.remainder == size
    if plan.remainder:
        assert sizes[-1] == plan.remainder < batch_size


def test_plan_refuses_empty_input():
    with pytest.raises(ValueError):
        BatchPlan(0, 10)
    with pytest.raises(ValueError):
        BatchPlan(10, 0)


def test_epoch_order_is_the_eager_loops_permutation():
    first, second = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    for _ in range(3):  # successive epochs keep drawing from the same stream
        assert torch.equal(epoch_order(1000, first, CPU), torch.randperm(1000, generator=second))
    assert sorted(epoch_order(50, first, CPU).tolist()) == list(range(50))


def test_gather_into_copies_the_indexed_rows_into_the_same_buffer(digits):
    train_x, _ = digits
    order = torch.randperm(len(train_x), generator=torch.Generator().manual_seed(0))
    buffer = torch.empty(BATCH, train_x.shape[1])
    address = buffer.data_ptr()
    seen = []
    for start, stop in BatchPlan(len(train_x), BATCH).bounds()[:-1]:
        gathered = gather_into(buffer, train_x, order[start:stop])
        assert gathered.data_ptr() == address
        assert torch.equal(gathered, train_x[order[start:stop]])
        seen.extend(order[start:stop].tolist())
    with pytest.raises(ValueError, match="cannot hold"):
        gather_into(buffer, train_x, order[:10])
    assert len(seen) == len(set(seen)) == BATCH * (len(train_x) // BATCH)


class DirectStep(ReplayedStep):
    """The captured step's CPU stand-in: runs the step itself on the fixed buffers instead of a graph.

    Everything else of ReplayedStep runs as on CUDA: the gather into the input buffer,
    the noise drawn into the noise buffer, the sums added into ``totals``.
    """

    def __init__(self, model, optimizer, batch_size):
        inputs = torch.zeros(batch_size, model.config.input_dim)
        noise = torch.zeros(batch_size, model.config.latent_dim)
        totals = torch.zeros(2)
        super().__init__(self, inputs, noise, totals, [])
        self.step = lambda: _train_step(model, optimizer, inputs, noise, totals)

    def replay(self):  # called as self.graph.replay(); ReplayedStep.run counts it
        self.step()


def test_epochs_through_static_buffers_equal_the_eager_loop_bit_for_bit(digits):
    train_x, _ = digits
    results = []
    for replayed in (False, True):
        model = build_model(CONFIG, 4, CPU)
        optimizer = make_optimizer(model, 1e-3)
        shuffle, noise = torch.Generator().manual_seed(5), torch.Generator().manual_seed(6)
        step = DirectStep(model, optimizer, BATCH) if replayed else None
        losses = [train_epoch(model, optimizer, train_x, BATCH, shuffle, noise, replayed=step) for _ in range(2)]
        if step is not None:
            assert step.replays == 2 * (len(train_x) // BATCH)  # ReplayedStep.run's count; the ragged batch ran eagerly
        results.append((losses, tensors_sha256(*model.state_dict().values()), shuffle.get_state(), noise.get_state()))
    (eager_losses, eager_hash, *eager_rngs), (static_losses, static_hash, *static_rngs) = results
    assert static_losses == eager_losses
    assert static_hash == eager_hash
    for eager_rng, static_rng in zip(eager_rngs, static_rngs):
        assert torch.equal(eager_rng, static_rng)


def test_restoring_a_snapshot_undoes_warmup_steps(digits):
    train_x, _ = digits
    batch = train_x[:BATCH]

    def one_step(model, optimizer):
        noise = torch.randn(BATCH, CONFIG.latent_dim, generator=torch.Generator().manual_seed(1))
        _train_step(model, optimizer, batch, noise, torch.zeros(2))

    # A fresh optimizer (no state yet), one whose state is an empty dict per parameter
    # (reading optimizer.state[param] creates one), and one with state.
    for steps_before, empty_state in ((0, False), (0, True), (2, False)):
        reference, warmed = build_model(CONFIG, 8, CPU), build_model(CONFIG, 8, CPU)
        reference_optimizer, warmed_optimizer = make_optimizer(reference, 1e-3), make_optimizer(warmed, 1e-3)
        for _ in range(steps_before):
            one_step(reference, reference_optimizer)
            one_step(warmed, warmed_optimizer)
        if empty_state:
            assert all(warmed_optimizer.state[param] == {} for param in warmed.parameters())
            assert len(warmed_optimizer.state) == len(list(warmed.parameters()))
        snapshot = ModelSnapshot(warmed, warmed_optimizer)
        for _ in range(3):
            one_step(warmed, warmed_optimizer)
        snapshot.restore()
        one_step(reference, reference_optimizer)
        one_step(warmed, warmed_optimizer)
        for name, tensor in reference.state_dict().items():
            assert torch.equal(warmed.state_dict()[name], tensor), (steps_before, name)
        for param_ref, param_warm in zip(reference.parameters(), warmed.parameters()):
            for key, value in reference_optimizer.state[param_ref].items():
                assert torch.equal(warmed_optimizer.state[param_warm][key], value), (steps_before, key)


# The helpers of a failed capture (device-independent).


def raise_chain(messages: list[str], causes: list[bool]) -> None:
    """Raise RuntimeError(messages[0]), then each next message while handling the one before.

    As ``torch.cuda.graph.__exit__`` does when ending a broken capture raises again. Where
    ``causes`` says so, the new error is raised ``from`` an unrelated error, as library code
    does; Python still records the handled one as its ``__context__``.
    """
    if len(messages) == 1:
        raise RuntimeError(messages[0])
    try:
        raise_chain(messages[:-1], causes)
    except RuntimeError:
        if causes[len(messages) - 1]:
            raise RuntimeError(messages[-1]) from ValueError("unrelated")
        raise RuntimeError(messages[-1])  # noqa: B904 (the implicit chain is the point)


def last_error_of(messages: list[str], causes: list[bool]) -> RuntimeError:
    try:
        raise_chain(messages, causes)
    except RuntimeError as error:
        return error
    raise AssertionError("raise_chain did not raise")


@settings(max_examples=100, deadline=None)
@given(
    messages=st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=8),
    causes=st.lists(st.booleans(), min_size=8, max_size=8),
    inside_outer=st.booleans(),
)
def test_first_error_is_the_start_of_the_context_chain(messages, causes, inside_outer):
    """Whatever followed it, the first error raised is found; an error already being handled is not."""
    outer = None
    if inside_outer:  # the failure happens while the caller handles another error
        try:
            raise KeyError("handled by the caller")
        except KeyError as handled:
            outer = handled
            last = last_error_of(messages, causes)
    else:
        last = last_error_of(messages, causes)
    assert (last.__context__ is outer) == (len(messages) == 1)
    found = first_error(last, outer)
    assert isinstance(found, RuntimeError) and found.args == (messages[0],)
    assert found.__context__ is outer
    if inside_outer:  # without ``outer`` the chain runs on to the caller's error
        assert first_error(last) is outer


def test_first_error_stops_on_a_loop():
    first, second, third = RuntimeError("1"), RuntimeError("2"), RuntimeError("3")
    third.__context__, second.__context__, first.__context__ = second, first, third  # assigned: a loop
    assert first_error(third) is first
    assert first_error(first) is second
    assert first_error(RuntimeError("alone")).args == ("alone",)


def test_capturable_warning_is_silenced_inside_the_block_only():
    """Under ``-W error`` (simplefilter "error") torch's warning would stop the warm-up."""
    source = inspect.getsource(torch.optim.Optimizer)
    assert CAPTURABLE_WARNING in source  # the text torch warns with starts with ours
    torchs_text = CAPTURABLE_WARNING + ", but step() is running without CUDA graph capture."
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with capturable_warning_silenced():
            warnings.warn(torchs_text, stacklevel=1)  # ignored
            with pytest.raises(UserWarning, match="another"):
                warnings.warn("another warning", stacklevel=1)
        with pytest.raises(UserWarning, match=re.escape(CAPTURABLE_WARNING)):
            warnings.warn(torchs_text, stacklevel=1)


# CUDA: skipped on machines without a GPU. Each test that trains with replay on counts the
# replays, so that none passes by training eagerly after a capture failed quietly.

FULL_BATCHES = 1000 // BATCH  # per epoch of the digits fixture: the replays of one epoch


def cuda_digits(digits):
    return tuple(tensor.cuda() for tensor in digits)


@pytest.fixture
def deterministic_cuda():
    from latentspace.model.devices import make_cuda_deterministic

    previous = torch.are_deterministic_algorithms_enabled()
    make_cuda_deterministic()
    yield torch.device("cuda")
    torch.use_deterministic_algorithms(previous)


@pytest.fixture
def torch_replays():
    """torch's own count of CUDA graph replays during the test (its global replay hook), or None
    with a torch too old to have the hook."""
    register = getattr(torch.cuda.graphs, "register_graph_replay_end_hook", None)
    if register is None:
        yield None
        return
    count = [0]
    handle = register(lambda graph: count.__setitem__(0, count[0] + 1))
    yield count
    handle.remove()


def cuda_state(seed=2):
    settings_ = TrainingRun(epochs=1, batch_size=BATCH, learning_rate=1e-3, seed=seed)
    return new_training_state(build_model(CONFIG, seed, torch.device("cuda")), settings_)


def train_cuda(digits, epochs=3, replay=True, seed=2, should_stop=None, state=None, on_epoch_end=None):
    train_x, test_x = cuda_digits(digits)
    settings_ = TrainingRun(epochs=epochs, batch_size=BATCH, learning_rate=1e-3, seed=seed)
    if state is None:
        state = cuda_state(seed)
    run_epochs(state, train_x, test_x, settings_, on_epoch_end=on_epoch_end, should_stop=should_stop, replay=replay)
    return state


def weights_hash(state) -> str:
    return tensors_sha256(*state.model.state_dict().values())


def on_the_default_stream() -> bool:
    return torch.cuda.current_stream() == torch.cuda.default_stream() and not torch.cuda.is_current_stream_capturing()


def private_pool_ids() -> set:
    """The memory pools besides the default one (CUDA graphs') that hold memory once all that can be is freed."""
    gc.collect()
    torch.cuda.synchronize()
    torch.cuda.empty_cache()
    return {tuple(segment["segment_pool_id"]) for segment in torch.cuda.memory_snapshot()} - {(0, 0)}


@needs_cuda
def test_one_replayed_step_equals_one_eager_step(digits, deterministic_cuda, torch_replays):
    from latentspace.training.loop import capture_train_step

    train_x = digits[0].cuda()
    indices = torch.arange(BATCH, 2 * BATCH, device="cuda")
    eager, replayed = build_model(CONFIG, 9, deterministic_cuda), build_model(CONFIG, 9, deterministic_cuda)
    eager_optimizer, replayed_optimizer = make_optimizer(eager, 1e-3), make_optimizer(replayed, 1e-3)
    step = capture_train_step(replayed, replayed_optimizer, BATCH)
    assert isinstance(step.graph, torch.cuda.CUDAGraph) and on_the_default_stream()
    for name, tensor in eager.state_dict().items():  # capture and warm-up left the weights as they were
        assert torch.equal(replayed.state_dict()[name], tensor), name
    for _ in range(2):  # the first step and one from Adam's state
        eager_noise = torch.Generator(device="cuda").manual_seed(10)
        replayed_noise = torch.Generator(device="cuda").manual_seed(10)
        eager_totals = torch.zeros(2, device="cuda")
        step.totals.zero_()
        _train_step(
            eager, eager_optimizer, train_x[indices],
            torch.randn((BATCH, CONFIG.latent_dim), generator=eager_noise, device="cuda"), eager_totals,
        )  # fmt: skip
        step.run(train_x, indices, replayed_noise)
        assert torch.equal(step.totals, eager_totals)
        assert torch.equal(replayed_noise.get_state(), eager_noise.get_state())
        for name, tensor in eager.state_dict().items():
            assert torch.equal(replayed.state_dict()[name], tensor), name
        for param_eager, param_replayed in zip(eager.parameters(), replayed.parameters()):
            for key, value in eager_optimizer.state[param_eager].items():
                assert torch.equal(replayed_optimizer.state[param_replayed][key], value), key
    assert step.replays == 2
    assert torch_replays is None or torch_replays[0] == 2


@needs_cuda
def test_cuda_training_twice_gives_the_same_weights_and_equals_eager(digits, deterministic_cuda, torch_replays, capsys):
    first, second = train_cuda(digits), train_cuda(digits)
    eager = train_cuda(digits, replay=False)
    assert "capture failed" not in capsys.readouterr().err
    assert first.steps_replayed == second.steps_replayed == 3 * FULL_BATCHES
    assert eager.steps_replayed == 0
    assert torch_replays is None or torch_replays[0] == 2 * 3 * FULL_BATCHES  # torch counted them too
    assert weights_hash(first) == weights_hash(second) == weights_hash(eager)
    assert first.history[-1].train_loss == second.history[-1].train_loss == eager.history[-1].train_loss
    assert weights_hash(train_cuda(digits, seed=3)) != weights_hash(first)


@needs_cuda
def test_failed_warmup_trains_eagerly_with_one_warning_line(digits, deterministic_cuda, capsys):
    reference = train_cuda(digits, replay=False)
    state = cuda_state()

    def refuse_on_a_side_stream(module, inputs):  # only the warm-up and the capture run there
        if torch.cuda.current_stream() != torch.cuda.default_stream():
            raise RuntimeError("warm-up refused by the test\nsecond line")

    handle = state.model.register_forward_pre_hook(refuse_on_a_side_stream)
    fallback = train_cuda(digits, state=state)
    handle.remove()
    warning = capsys.readouterr().err
    assert warning == "latentspace train: CUDA graph capture failed (warm-up refused by the test); training eagerly\n"
    assert fallback.steps_replayed == 0 and on_the_default_stream()
    assert weights_hash(fallback) == weights_hash(reference)


@needs_cuda
def test_capture_broken_partway_falls_back_and_leaves_cuda_clean(digits, deterministic_cuda, capsys):
    """A sync while capturing invalidates the capture; ending it then raises a second error."""
    reference = train_cuda(digits, replay=False)
    pools_before = private_pool_ids()
    state = cuda_state()
    synced_while_capturing = []

    def sync_while_capturing(module, inputs, output):
        if torch.cuda.is_current_stream_capturing():
            synced_while_capturing.append(True)
            torch.cuda.synchronize()  # not allowed during a capture: raises, and the capture is invalid

    handle = state.model.register_forward_hook(sync_while_capturing)
    fallback = train_cuda(digits, state=state)
    handle.remove()
    lines = capsys.readouterr().err.splitlines()
    assert synced_while_capturing == [True]  # the capture began and broke partway, once
    assert len(lines) == 1, lines
    assert re.fullmatch(r"latentspace train: CUDA graph capture failed \(.+\); training eagerly", lines[0]), lines
    assert "previous error" not in lines[0]  # the sync's error, not the one ending the capture raised after it
    assert on_the_default_stream()
    assert fallback.steps_replayed == 0
    assert weights_hash(fallback) == weights_hash(reference)
    del state, fallback
    assert private_pool_ids() <= pools_before  # the broken capture's pool was released
    later = train_cuda(digits)  # and the next capture of the process works
    assert "capture failed" not in capsys.readouterr().err
    assert later.steps_replayed == 3 * FULL_BATCHES
    assert weights_hash(later) == weights_hash(reference)


@needs_cuda
def test_warmup_gives_no_capturable_warning_and_runs_under_warnings_as_errors(digits, deterministic_cuda, capsys):
    for action in ("always", "error"):  # "error" is what ``python -W error`` sets
        state = cuda_state()
        # Torch warns once per optimizer; an unpickled optimizer has lost the flag its
        # __init__ sets to skip the warning, so its warm-up's first step would warn.
        state.optimizer._warned_capturable_if_run_uncaptured = False
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter(action)
            trained = train_cuda(digits, state=state)
        assert not [warning for warning in caught if "capturable" in str(warning.message)], action
        assert trained.steps_replayed == 3 * FULL_BATCHES, action
    stderr = capsys.readouterr().err
    assert "capture failed" not in stderr and "capturable" not in stderr


@needs_cuda
def test_cuda_stop_and_resume_from_checkpoint_is_bit_identical(digits, deterministic_cuda, tmp_path, capsys):
    path = tmp_path / "state.pt"
    signature = {"test": "cuda-resume"}
    reference = train_cuda(digits, epochs=4)
    finished = []
    with pytest.raises(TrainingInterrupted):
        train_cuda(
            digits, epochs=4, should_stop=lambda: len(finished) == 2,
            on_epoch_end=lambda state: (save_training_state(path, state, signature), finished.append(1)),
        )  # fmt: skip
    state = load_training_state(path, signature, deterministic_cuda)
    assert state.epochs_done == 2
    assert state.optimizer.param_groups[0]["capturable"]
    assert len(state.optimizer.state) == len(list(state.model.parameters()))
    for param_state in state.optimizer.state.values():  # Adam's state is back on the GPU, its step count too
        assert set(param_state) == {"step", "exp_avg", "exp_avg_sq"}
        assert all(value.is_cuda for value in param_state.values()), {k: v.device for k, v in param_state.items()}
    resumed = train_cuda(digits, epochs=4, state=state)
    assert "capture failed" not in capsys.readouterr().err
    assert reference.steps_replayed == 4 * FULL_BATCHES
    assert resumed.steps_replayed == 2 * FULL_BATCHES  # epochs 3 and 4, replayed from the restored state
    assert weights_hash(resumed) == weights_hash(reference)
    assert [r.train_loss for r in resumed.history] == [r.train_loss for r in reference.history]


@needs_cuda
def test_cuda_nan_loss_stops_with_the_epoch(digits, deterministic_cuda):
    from latentspace.errors import TrainingError

    train_x, test_x = cuda_digits(digits)
    settings_ = TrainingRun(epochs=2, batch_size=BATCH, learning_rate=1e30, seed=0)
    state = new_training_state(build_model(CONFIG, 0, deterministic_cuda), settings_)
    with pytest.raises(TrainingError, match=r"^epoch 1: the training loss became nan"):
        run_epochs(state, train_x, test_x, settings_)
