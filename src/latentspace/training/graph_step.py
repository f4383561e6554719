"""A training step captured once as a CUDA graph and replayed for every full batch.

On a GPU the VAE's step is small: launching its few dozen kernels one by one from Python
costs more than running them. ``capture_step`` records the whole step (forward pass, loss,
backward pass, Adam's update, the running loss sums) into one ``torch.cuda.CUDAGraph``;
``ReplayedStep.run`` then copies a batch into the graph's input buffer, draws the
reparameterisation noise into its noise buffer and replays the graph, three launches per
batch whatever the model's depth.

What makes the replay give the weights of the eager loop:
- the inputs are fixed buffers that each batch is copied into (``batching.gather_into``);
- the noise is drawn outside the graph, from the run's seeded noise generator, by the same
  kernel and in the same order as the eager loop draws it, so the generator's state after
  an epoch is the same on both paths (and in the checkpoint);
- Adam runs with ``capturable=True``: its step count lives on the GPU and the update reads
  it there, so a replay advances it like an eager step;
- capture needs a few warm-up steps first (on the side stream the capture uses: cuBLAS and
  the allocator set themselves up there). They change the weights and Adam's state, so
  both are copied before and written back after, in place (the graph keeps their
  addresses).

A capture that fails, even partway, leaves CUDA as it found it: the warm-up and the
capture run inside one outer side-stream context, so the main stream is current again
even when ``torch.cuda.graph`` raises in its ``__exit__`` before leaving its own stream
context (torch 2.14 ends the capture first, and ending an invalidated capture raises);
``CUDAGraph.reset()`` then releases the capture's private memory pool at once (and ends
the allocator's routing into it if the capture never reached its end), where otherwise
the failed graph, held by the exception's traceback, would keep it until collected.
``first_error`` finds the error that broke the capture behind the secondary "operation
failed due to a previous error during capture".

References: PyTorch's CUDA graphs notes ("whole-network capture": warm-up on a side
stream, static inputs, ``optimizer.step()`` inside the capture) and ``torch.optim.Adam``
(``capturable``).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch

from latentspace.training.batching import gather_into

WARMUP_STEPS = 3
# The start of the warning torch.optim.Optimizer gives (once per optimizer) when a
# capturable optimizer steps outside a capture (``_accelerator_graph_capture_health_check``).
# The warm-up does exactly that, on purpose.
CAPTURABLE_WARNING = "This instance was constructed with capturable=True"


@contextmanager
def capturable_warning_silenced() -> Iterator[None]:
    """Ignore torch's capturable-optimizer-run-uncaptured warning inside the block, even under ``-W error``."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=re.escape(CAPTURABLE_WARNING), category=UserWarning)
        yield


def first_error(error: BaseException, outer: BaseException | None = None) -> BaseException:
    """The earliest exception of ``error``'s ``__context__`` chain: the one that started the failure.

    When a capture is invalidated (a sync inside it, say), the step raises, and ending the
    capture then raises again, with the first error as its ``__context__``. ``outer`` is
    an exception that was already being handled when the failure began: the chain stops
    before it. A chain that loops (only assignments make one) stops before repeating.
    """
    seen = {id(error)}
    while (earlier := error.__context__) is not None and earlier is not outer and id(earlier) not in seen:
        seen.add(id(earlier))
        error = earlier
    return error


class ModelSnapshot:
    """Copies of a model's parameters and buffers and of its optimizer's state, to write back in place."""

    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer):
        self._model_tensors = [(t, t.detach().clone()) for t in (*model.parameters(), *model.buffers())]
        self._optimizer = optimizer
        self._state = {
            id(param): {key: value.clone() for key, value in state.items() if torch.is_tensor(value)}
            for param, state in optimizer.state.items()
        }

    @torch.no_grad()
    def restore(self) -> None:
        """Write the copies back in place; Adam's state that the copies lack (created since) is zeroed.

        Zeros are what Adam's first step starts from (``step`` 0, both moments 0): a
        parameter without state when the snapshot was taken, or with an empty one (reading
        ``optimizer.state[param]`` creates it), steps afterwards as a fresh optimizer would.
        """
        for tensor, saved in self._model_tensors:
            tensor.copy_(saved)
        for param, state in self._optimizer.state.items():
            saved = self._state.get(id(param), {})
            for key, value in state.items():
                if not torch.is_tensor(value):
                    continue
                if key in saved:
                    value.copy_(saved[key])
                else:
                    value.zero_()


class ReplayedStep:
    """A captured step over fixed (batch, ...) input and noise buffers; replays add to ``totals``.

    ``replays`` counts the graph's replays, so that a caller (and a test) can tell a run
    that replayed from one that quietly fell back to the eager loop.
    """

    def __init__(
        self, graph: torch.cuda.CUDAGraph, inputs: torch.Tensor, noise: torch.Tensor, totals: torch.Tensor, keep: list
    ):
        self.graph = graph
        self.inputs = inputs
        self.noise = noise
        self.totals = totals
        self.batch_size = len(inputs)
        self.replays = 0
        self._keep = keep  # tensors the graph reads or writes (gradients) stay alive with it

    def run(self, data: torch.Tensor, indices: torch.Tensor, noise_generator: torch.Generator) -> None:
        """One step on the rows ``data[indices]`` (exactly ``batch_size`` of them)."""
        gather_into(self.inputs, data, indices)
        self.noise.normal_(generator=noise_generator)  # the draw torch.randn(shape, generator=...) makes
        self.graph.replay()
        self.replays += 1


def capture_step(
    step: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], None],
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    input_shape: tuple[int, ...],
    noise_shape: tuple[int, ...],
    totals_shape: tuple[int, ...],
) -> ReplayedStep:
    """Capture ``step(inputs, noise, totals)``, which updates ``model`` through ``optimizer``, as a CUDA graph.

    ``totals`` is a device buffer the step adds its running sums to; the caller zeroes it
    (``ReplayedStep.totals``) when a new sum begins.

    The model and the optimizer's state come out as they went in. Any error of the warm-up
    or the capture propagates (the caller then trains eagerly; ``first_error`` names its
    cause); the model and optimizer are restored first, on the main stream, which is current
    again, and the failed graph's memory pool is released.
    """
    device = next(model.parameters()).device
    snapshot = ModelSnapshot(model, optimizer)
    inputs = torch.zeros(input_shape, device=device)
    noise = torch.zeros(noise_shape, device=device)
    totals = torch.zeros(totals_shape, device=device)
    side_stream = torch.cuda.Stream(device)
    main_stream = torch.cuda.current_stream(device)
    graph = torch.cuda.CUDAGraph()
    side_stream.wait_stream(main_stream)
    try:
        # One outer context: leaving it makes the main stream current again however the capture ends.
        with torch.cuda.stream(side_stream):
            with capturable_warning_silenced():
                for _ in range(WARMUP_STEPS):
                    step(inputs, noise, totals)
            with torch.cuda.graph(graph, stream=side_stream):
                step(inputs, noise, totals)
    except BaseException:
        graph.reset()  # releases the failed capture's memory pool now, not when the graph is collected
        raise
    finally:
        main_stream.wait_stream(side_stream)
        snapshot.restore()
    gradients = [param.grad for param in model.parameters()]
    return ReplayedStep(graph, inputs, noise, totals, gradients)
