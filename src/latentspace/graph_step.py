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

References: PyTorch's CUDA graphs notes ("whole-network capture": warm-up on a side
stream, static inputs, ``optimizer.step()`` inside the capture) and ``torch.optim.Adam``
(``capturable``).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from latentspace.batching import gather_into

WARMUP_STEPS = 3


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
        for tensor, saved in self._model_tensors:
            tensor.copy_(saved)
        for param, state in self._optimizer.state.items():
            saved = self._state.get(id(param))
            for key, value in state.items():
                if not torch.is_tensor(value):
                    continue
                if saved is None:  # created by the warm-up: back to what a first step starts from
                    value.zero_()
                else:
                    value.copy_(saved[key])


class ReplayedStep:
    """A captured step over fixed (batch, ...) input and noise buffers; replays add to ``totals``."""

    def __init__(
        self, graph: torch.cuda.CUDAGraph, inputs: torch.Tensor, noise: torch.Tensor, totals: torch.Tensor, keep: list
    ):
        self.graph = graph
        self.inputs = inputs
        self.noise = noise
        self.totals = totals
        self.batch_size = len(inputs)
        self._keep = keep  # tensors the graph reads or writes (gradients) stay alive with it

    def run(self, data: torch.Tensor, indices: torch.Tensor, noise_generator: torch.Generator) -> None:
        """One step on the rows ``data[indices]`` (exactly ``batch_size`` of them)."""
        gather_into(self.inputs, data, indices)
        self.noise.normal_(generator=noise_generator)  # the draw torch.randn(shape, generator=...) makes
        self.graph.replay()


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
    or the capture propagates (the caller then trains eagerly); the model and optimizer are
    restored first.
    """
    device = next(model.parameters()).device
    snapshot = ModelSnapshot(model, optimizer)
    inputs = torch.zeros(input_shape, device=device)
    noise = torch.zeros(noise_shape, device=device)
    totals = torch.zeros(totals_shape, device=device)
    side_stream = torch.cuda.Stream(device)
    main_stream = torch.cuda.current_stream(device)
    side_stream.wait_stream(main_stream)
    try:
        with torch.cuda.stream(side_stream):
            for _ in range(WARMUP_STEPS):
                step(inputs, noise, totals)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph, stream=side_stream):
            step(inputs, noise, totals)
    finally:
        main_stream.wait_stream(side_stream)
        snapshot.restore()
    gradients = [param.grad for param in model.parameters()]
    return ReplayedStep(graph, inputs, noise, totals, gradients)
