#pragma once
// Layers with forward and backward passes over NCHW float tensors.
//
// Contract: forward(x, y, train) writes y; backward(x, y, gy, gx) receives the same x and y and writes gx and
// accumulates parameter gradients (callers zero them per step).  Batch-parallel with oneTBB in fixed chunks of
// the batch (one per allowed thread), so results are deterministic for a given thread count.  Not thread-safe:
// one layer object serves one training loop.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "flight/core/network.hpp"
#include "flight/trainer/kernels.hpp"
#include "flight/trainer/quant.hpp"
#include "flight/trainer/tensor.hpp"

namespace flight::trainer {

class ConvEngine;  // oneDNN convolution (src/conv_engine.hpp)
struct ConvShape;

// The arithmetic of the oneDNN convolutions: fp32, or bf16 — their inputs rounded to bfloat16, products accumulated
// and written in fp32 (issue 14: in the quantized methods at E ≤ 3 exponent bits and A ≤ 8 activation bits a
// convolution's weights and activations are exact in bf16, so only the summation order differs from fp32; with wider
// settings bf16 is ordinary mixed precision, and Model::set_precision says so).  Master weights, batch norm, the optimizer, the first
// layer (its input, normalized pixels, is not exact in bf16), im2col convolutions and the fc layers stay fp32.
enum class Precision { fp32, bf16 };
std::string precision_name(Precision p);  // "fp32", "bf16"
Precision parse_precision(const std::string& name);  // "bf16" → bf16, else fp32 (callers check the name first)
// Whether oneDNN runs bf16 convolutions natively on this CPU (probed once, on a 16→16 3×3 convolution; src/
// conv_engine.cpp): "" when it does, else why not, e.g. "oneDNN has no bf16 convolution here; native bf16 needs
// AVX512_BF16 (oneDNN's best instruction set here: avx2)".
const std::string& bf16_unavailable_reason();
// Whether oneDNN runs its AVX-512 kernels on this CPU (Conv2d::default_algorithm).
bool onednn_has_avx512();

struct ParamRef {
  std::string name;
  std::vector<float>* value;
  std::vector<float>* grad;
  bool decay;  // weight decay applies (weights yes; biases, batch-norm and thresholds no)
  // FLightNN thresholds only: the unit their steps are measured in (the layer's mean residual norm of the last
  // forward), owned by the layer's quantizer.  Null for every other parameter.
  const double* threshold_unit = nullptr;
};

class Layer {
 public:
  virtual ~Layer() = default;
  virtual void forward(const Tensor& x, Tensor& y, bool train) = 0;
  virtual void backward(const Tensor& x, const Tensor& y, const Tensor& gy, Tensor& gx) = 0;
  virtual std::vector<ParamRef> params() { return {}; }
  virtual std::string name() const = 0;
  // The first layer of a model: the gradient with respect to its input (the image) is never used, so a layer may
  // skip computing it and leave gx empty.
  void set_input_grad_needed(bool needed) { input_grad_needed_ = needed; }

 protected:
  bool input_grad_needed_ = true;
};

// Conv2d and Linear share the weight layout (filters, fan_in) and a WeightQuantizer.
class WeightLayer : public Layer {
 public:
  WeightLayer(int filters, int fan_in, bool bias, const QuantConfig& q);
  ~WeightLayer() override;
  std::vector<ParamRef> params() override;
  WeightQuantizer& quantizer() { return quant_; }
  std::vector<float>& weights() { return w_; }
  std::vector<float>& bias() { return b_; }
  const std::vector<float>& quantized_weights() const { return q_; }
  int filters() const { return filters_; }
  int fan_in() const { return fan_in_; }
  // Keys of the stochastic rounding of a training forward: which layer, which optimizer step.
  void set_stream(std::uint64_t stream) { stream_ = stream; }
  void set_step(std::uint64_t step) { step_ = step; }
  // Profiling (Model::set_profiling): seconds spent in the weight quantizer (forward) and its straight-through
  // gradient (backward) since the last reset; 0 unless timed.
  void set_timed(bool on) { timed_ = on; }
  double quantize_seconds() const { return quantize_s_; }
  double straight_through_seconds() const { return ste_s_; }
  void reset_times() { quantize_s_ = ste_s_ = 0; }
  // The arithmetic of the layer's oneDNN primitives (a Conv2d on the im2col path ignores it); bf16 runs only where
  // oneDNN has native bf16 kernels, else fp32 (Model::set_precision says which).
  void set_precision(Precision p);
  Precision precision() const { return precision_; }
  // Of the oneDNN engines built so far (one per batch chunk and shape): how many, and how many run bf16.
  std::pair<int, int> engines_and_bf16() const;

 protected:
  // oneDNN through ConvEngine, one engine per chunk of the batch (chunk bounds as in parallel_chunks) run
  // single-threaded inside a oneTBB task (Conv2d's oneDNN path; fc layers use OpenBLAS GEMMs).  `shape(images)` gives a
  // chunk's shape.  forward: y ← x ∗ q_ (+ bias).  backward: gq_ ← Σ over chunks (fixed order), gb_ likewise, gx
  // unless the input gradient is not needed.
  template <class ShapeOf>
  void onednn_forward(const Tensor& x, Tensor& y, const ShapeOf& shape);
  template <class ShapeOf>
  void onednn_backward(const Tensor& x, const Tensor& gy, Tensor& gx, const ShapeOf& shape);
  void quantize(bool train);  // q_ ← quantizer(w_)
  bool timed_ = false;
  double quantize_s_ = 0, ste_s_ = 0;
  std::uint64_t stream_ = 0, step_ = 0;
  void finish_backward();     // gw_ ← straight-through(gq_)
  void finish_chunks(int chunks);  // gq_, gb_ ← Σ of the chunks' parts (fixed order), then finish_backward()
  int filters_, fan_in_;
  bool has_bias_;
  std::vector<float> w_, b_, q_, gw_, gb_, gq_, gw_step_;
  WeightQuantizer quant_;
  Precision precision_ = Precision::fp32;
  std::vector<std::unique_ptr<ConvEngine>> engines_;
  // Per chunk (kept between steps: no allocation per step): partial weight and bias gradients.
  std::vector<std::vector<float>> gq_part_, gb_part_;
};

class Conv2d : public WeightLayer {
 public:
  Conv2d(int c_in, int c_out, int kernel, int stride, int pad, bool bias, const QuantConfig& q);
  ~Conv2d() override;
  void forward(const Tensor& x, Tensor& y, bool train) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& gy, Tensor& gx) override;
  std::string name() const override { return "conv"; }
  int kernel() const { return k_; }
  int stride() const { return stride_; }
  int pad() const { return pad_; }
  int c_in() const { return c_in_; }

  // How the convolution is computed.  Both give the same values up to float rounding; the default is picked from
  // the channel counts and whether oneDNN runs AVX-512 kernels here (default_algorithm), so a run is reproducible
  // for a given network, thread count and instruction set.
  enum class Algorithm { onednn, im2col_gemm };
  static Algorithm default_algorithm(int c_in, int c_out, bool avx512);
  Algorithm algorithm() const { return algorithm_; }
  void set_algorithm(Algorithm a) {
    algorithm_ = a;
    if (a != Algorithm::onednn) blocked_output_ = false;
  }
  // Writes the output in the channel-blocked layout (Tensor::blocked; oneDNN path, filters a multiple of 16), for
  // layers after it that read it (Model::set_blocked_layout decides).  The input may be in either layout.
  void set_blocked_output(bool on);
  bool blocked_output() const { return blocked_output_; }

 private:
  std::function<ConvShape(int)> chunk_shape(const Tensor& x) const;
  void forward_gemm(const Tensor& x, Tensor& y, bool train);
  void backward_gemm(const Tensor& x, const Tensor& y, const Tensor& gy, Tensor& gx);

  int c_in_, k_, stride_, pad_;
  Algorithm algorithm_;
  bool blocked_output_ = false;
  // im2col + GEMM: the columns of the last training forward, (N, fan_in, Ho·Wo), reused by the backward pass.
  std::vector<float> cols_cache_;
  // Per chunk (kept between steps): the column gradient.
  std::vector<std::vector<float>> gcols_;
};

class Linear : public WeightLayer {
 public:
  Linear(int in, int out, bool bias, const QuantConfig& q);
  void forward(const Tensor& x, Tensor& y, bool train) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& gy, Tensor& gx) override;
  std::string name() const override { return "fc"; }
};

class ReLU;

class BatchNorm : public Layer {
 public:
  explicit BatchNorm(int channels, float momentum = 0.1f, float eps = 1e-5f);
  void forward(const Tensor& x, Tensor& y, bool train) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& gy, Tensor& gx) override;
  // This batch norm and the ReLU after it as one pass over the activations each way (Model runs every batch norm →
  // ReLU pair so): z is bit for bit relu.forward of forward(x), and gx what relu.backward then backward give, without
  // the batch-norm output in memory.  The ReLU's state (running maximum, scale) moves as if it ran alone.
  void forward_relu(const Tensor& x, ReLU& relu, Tensor& z, bool train);
  void backward_relu(const Tensor& x, const ReLU& relu, const Tensor& gz, Tensor& gx);
  std::vector<ParamRef> params() override;
  std::string name() const override { return "batchnorm"; }
  std::vector<float>& running_mean() { return run_mean_; }
  std::vector<float>& running_var() { return run_var_; }
  std::vector<float>& gamma() { return gamma_; }
  std::vector<float>& beta() { return beta_; }

 private:
  // Per channel: mean and 1/std of the batch (training) or the running ones; with `extremes`, also the smallest and
  // largest input (lo_, hi_).  The last training batch's mean_ and inv_std_ serve the backward pass.
  void statistics(const Tensor& x, bool train, bool extremes);
  template <class PlaneBackward>
  void backward_planes(const Tensor& x, const Tensor& g, Tensor& gx, const PlaneBackward& plane_backward);
  // The channel-blocked layout (Tensor::blocked): batch norm, with the ReLU after it when relu is non-null.
  const std::vector<BnRelu16>& block_constants(const ReLU* relu);
  void forward_blocked(const Tensor& x, Tensor& z, const ReLU* relu);
  void backward_blocked(const Tensor& x, const Tensor& g, Tensor& gx, const ReLU* relu);
  int c_;
  float momentum_, eps_;
  std::vector<float> gamma_, beta_, g_gamma_, g_beta_, run_mean_, run_var_;
  std::vector<float> mean_, inv_std_;  // of the last training batch
  std::vector<float> lo_, hi_;
  std::vector<BnRelu16> block_consts_;  // per channel block (kept between steps)
  bool last_train_ = false;
};

// ReLU, followed by unsigned A-bit quantization when a_bits > 0 (straight through inside the clip range).
class ReLU : public Layer {
 public:
  explicit ReLU(int a_bits = 0) : a_bits_(a_bits) {}
  void forward(const Tensor& x, Tensor& y, bool train) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& gy, Tensor& gx) override;
  std::string name() const override { return "relu"; }
  float scale() const { return scale_; }
  // The scale an evaluation forward uses (from the running maximum).
  float eval_scale() const { return activation_scale(running_max_, a_bits_); }
  float& running_max() { return running_max_; }
  int a_bits() const { return a_bits_; }
  // The largest output of a batch (before quantization; ≥ 0) sets the scale: a training batch moves the running
  // maximum first.  forward() does this itself; BatchNorm::forward_relu calls it.
  void observe_batch_max(float batch_max, bool train);
  // The gradient passes where 0 < x ≤ clip() (infinite without quantization).
  float clip() const;

 private:
  int a_bits_;
  float running_max_ = 0;  // EMA of the batch maximum, sets the power-of-two scale
  float scale_ = 1;
};

class MaxPool : public Layer {
 public:
  MaxPool(int kernel, int stride) : k_(kernel), stride_(stride) {}
  void forward(const Tensor& x, Tensor& y, bool train) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& gy, Tensor& gx) override;
  std::string name() const override { return "maxpool"; }

 private:
  int k_, stride_;
  std::vector<int> argmax_;
};

class Flatten : public Layer {
 public:
  void forward(const Tensor& x, Tensor& y, bool train) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& gy, Tensor& gx) override;
  std::string name() const override { return "flatten"; }
};

// y ← x in the plain / the channel-blocked layout (Tensor::blocked; a copy when x is in it already).
void to_plain(const Tensor& x, Tensor& y);
void to_blocked(const Tensor& x, Tensor& y);

// Mean softmax cross-entropy over the batch; writes dL/dlogits.  Returns the loss; counts correct predictions.
double softmax_cross_entropy(const Tensor& logits, const std::vector<int>& labels, Tensor& grad, int* correct);

// A network built from its spec: the layers, the activations kept for backward, and the quantizers.
class Model {
 public:
  Model(const NetworkSpec& spec, ImageShape input, int classes, const QuantConfig& q, unsigned seed);
  const Tensor& forward(const Tensor& x, bool train);
  void backward(const Tensor& grad_logits);
  std::vector<ParamRef> params();
  void zero_grad();
  double reg_loss() const;  // FLightNN regularizer of the last forward
  std::vector<Layer*> layers();
  std::vector<WeightLayer*> weight_layers();
  const QuantConfig& quant() const { return quant_; }
  // The optimizer step of the next training forward (keys the stochastic rounding, so a resumed run repeats it).
  void set_step(std::uint64_t step);
  // FLightNN: λ of every layer's regularizer from the next backward on.
  void set_lambda(double lambda);
  // FLightNN: per weight layer (weight_layers() order), the regularizer weight of one filter's term count.  The
  // default is (MACs of one filter) / (MACs of the network); a hardware cost replaces it (sweeps/budget.hpp).
  // InputError unless there is one finite, non-negative weight per weight layer.
  void set_reg_weights(const std::vector<double>& per_filter);

  // Where a training step's time goes, layer by layer (flight train --profile-layers; issue 14).  While profiling
  // is on, every layer's forward and backward are timed (and a weight layer's quantizer separately); off, nothing
  // is measured and nothing costs.
  struct LayerTime {
    std::string name;
    double forward_s = 0, backward_s = 0;
    double quantize_s = 0, straight_through_s = 0;  // weight layers: the part of forward / backward in the quantizer
    bool fused = false;  // run inside the previous layer's pass (a ReLU after batch norm): its time is counted there
  };
  // Every batch norm → ReLU pair runs as one pass each way (BatchNorm::forward_relu; the same bits as apart).  Off:
  // layer by layer, for the tests that compare the two.  Switch it between steps only (a backward pass follows the
  // forward pass's choice).
  void set_fusion(bool on) { fusion_ = on; }
  // Activations in the channel-blocked layout (Tensor::blocked) from a oneDNN convolution with a multiple of 16
  // filters through its batch norm, ReLU and pooling to the next oneDNN convolution or flatten, so no reorder runs
  // between them.  On by default where oneDNN runs AVX-512 kernels (their layout is nChw16c); off: plain NCHW
  // throughout (the tests compare the two).  Switch it between steps only.
  void set_blocked_layout(bool on) { blocked_layout_ = on; }
  bool blocked_layout() const { return blocked_layout_; }
  // The convolutions' arithmetic (Precision).  Returns which ran, in one line for people: bf16 asked for on a CPU
  // without native bf16 convolutions runs fp32 and says why.
  std::string set_precision(Precision p);
  Precision precision() const { return precision_; }
  // What ran, after a forward pass: "bf16" when every engine of a bf16 layer ran bf16 (oneDNN may lack a native
  // kernel for one shape, e.g. an epoch's smaller last batch: then "bf16, some shapes fp32"), else "fp32".
  std::string precision_ran() const;
  void set_profiling(bool on);                  // on: from zero
  void pause_profiling(bool paused);           // e.g. around an evaluation, keeping the sums
  std::vector<LayerTime> layer_times() const;  // since set_profiling(true)

 private:
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<Tensor> acts_, grads_;
  QuantConfig quant_;
  bool fusion_ = true;
  bool blocked_layout_;
  Precision precision_ = Precision::fp32;
  bool profiling_ = false, paused_ = false;
  std::vector<double> forward_s_, backward_s_;
  // Layer i and i + 1 run as one pass (a batch norm and its ReLU) when fusion is on; the ReLU's index.
  bool fused_pair(std::size_t i) const;
  // Tells each convolution whether to write the blocked layout (set_blocked_layout), from the layers after it.
  void plan_layouts();
};

}  // namespace flight::trainer
