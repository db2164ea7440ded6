#pragma once
// Trained model → what the simulator consumes: the integer network (bit-accurate inference) and the workload
// (per-layer filters by k) — the small conversion where trainer/ and sim/ meet (DESIGN.md §3).
#include "flight/sim/bitexact.hpp"
#include "flight/sim/workload.hpp"
#include "flight/sweeps/model_file.hpp"

namespace flight::sweeps {

// InputError for an fp32 model (it has no integer form).
sim::IntNetwork to_int_network(trainer::Model& model, const ModelMeta& meta);
sim::Workload to_workload(trainer::Model& model, const ModelMeta& meta);

}  // namespace flight::sweeps
