#!/usr/bin/python3
"""Training throughput of `flight train` against PyTorch CPU on the same network, data, batch and thread count.

    /usr/bin/python3 bench/compare_pytorch.py --net lenet-l --dataset mnist --threads 2 --batch 64 --images 12800

Both train from scratch with SGD (momentum 0.9, weight decay 5e-4) over the first N training images of the same
files under the data root; the network is built from the same networks/*.toml file.  flight runs in both precisions
(`--precision fp32` and `bf16`; it says which ran: bf16 falls back to fp32 on a CPU without AVX512_BF16), PyTorch in
fp32 (the anchor) and, with --torch-bf16, also under torch.autocast(bfloat16).  Prints images/s of each and the
ratios flight / PyTorch fp32.  Run it alone on the machine: a second busy process halves every number.
PyTorch comes from Debian (scripts/install-deps bench installs python3-torch); run with /usr/bin/python3.
"""
import argparse
import gzip
import json
import os
import pathlib
import subprocess
import sys
import time
import tomllib

import numpy as np

REPO = pathlib.Path(__file__).resolve().parent.parent


def load_images(dataset, root, n):
    """First n training images (float32 in [0, 1], NCHW) and labels, from the official files."""
    if dataset in ("mnist", "fashion-mnist"):
        d = root / dataset
        def idx(name):
            for cand in (d / name, d / (name + ".gz")):
                if cand.exists():
                    raw = cand.read_bytes()
                    return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
            sys.exit(f"compare_pytorch: {d / name} not found (scripts/get-data)")
        img = np.frombuffer(idx("train-images-idx3-ubyte"), np.uint8, offset=16).reshape(-1, 1, 28, 28)[:n]
        lab = np.frombuffer(idx("train-labels-idx1-ubyte"), np.uint8, offset=8)[:n]
    elif dataset == "cifar10":
        d = root / "cifar10"
        if (d / "cifar-10-batches-bin").is_dir():
            d = d / "cifar-10-batches-bin"
        rec = np.concatenate([np.fromfile(d / f"data_batch_{i}.bin", np.uint8).reshape(-1, 3073) for i in range(1, 6)])[:n]
        img, lab = rec[:, 1:].reshape(-1, 3, 32, 32), rec[:, 0]
    else:
        sys.exit(f"compare_pytorch: data set {dataset} not supported here")
    return img.astype(np.float32) / 255.0, lab.astype(np.int64)


def build_torch(net_file, shape, classes):
    import torch.nn as nn
    spec = tomllib.loads(net_file.read_text())
    layers, c, h, w = [], *shape
    flat = None
    for l in spec["layer"]:
        t = l["type"]
        if t == "conv":
            k, s, p = l["kernel"], l.get("stride", 1), l.get("pad", 0)
            layers.append(nn.Conv2d(c, l["out"], k, s, p, bias=l.get("bias", True)))
            c, h, w = l["out"], (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
        elif t == "batchnorm":
            layers.append(nn.BatchNorm2d(c) if flat is None else nn.BatchNorm1d(flat))
        elif t == "relu":
            layers.append(nn.ReLU())
        elif t == "maxpool":
            k, s = l["kernel"], l.get("stride", l["kernel"])
            layers.append(nn.MaxPool2d(k, s))
            h, w = (h - k) // s + 1, (w - k) // s + 1
        elif t == "flatten":
            layers.append(nn.Flatten())
            flat = c * h * w
        elif t == "fc":
            out = classes if l["out"] == "classes" else l["out"]
            layers.append(nn.Linear(flat, out, bias=l.get("bias", True)))
            flat = out
    return nn.Sequential(*layers)


def torch_images_per_s(args, x, y, classes, bf16=False):
    import contextlib
    import torch
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = build_torch(REPO / "networks" / f"{args.net}.toml", x.shape[1:], classes)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    model.train()
    start = time.perf_counter()
    for b in range(0, len(x), args.batch):
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext():
            loss = loss_fn(model(xt[b:b + args.batch]), yt[b:b + args.batch])
        loss.backward()
        opt.step()
    return len(x) / (time.perf_counter() - start)


def flight_images_per_s(args, root, precision):
    """(images/s, the precision that ran, flight's line saying so or "")."""
    cmd = [str(args.flight), "train", "--dataset", args.dataset, "--net", args.net, "--method", args.method,
           "--epochs", "1", "--max-train", str(args.images), "--max-test", "256", "--batch", str(args.batch),
           "--threads", str(args.threads), "--data-dir", str(root), "--precision", precision, "--json"]
    if args.method == "flightnn":
        cmd += ["--lambda", "0.2"]
    run = subprocess.run(cmd, check=True, capture_output=True, text=True)
    result = json.loads(run.stdout.strip().splitlines()[-1])
    said = [l.split("precision: ", 1)[1] for l in run.stderr.splitlines() if "precision: " in l]
    return result["images_per_s"], result.get("precision", "fp32"), said[-1] if said else ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--net", default="lenet-l")
    ap.add_argument("--dataset", default="mnist")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--images", type=int, default=12800)
    ap.add_argument("--data-dir", default=os.environ.get("FLIGHT_DATA", str(REPO / "data")))
    ap.add_argument("--flight", default=str(REPO / "build" / "sweeps" / "flight"))
    ap.add_argument("--method", default="fp32",
                    help="flight's method (fp32, lightnn2, flightnn at λ 0.2, …); PyTorch always trains FP32")
    ap.add_argument("--torch-bf16", action="store_true", help="also PyTorch under torch.autocast(bfloat16)")
    args = ap.parse_args()
    root = pathlib.Path(args.data_dir)
    classes = 100 if args.dataset == "cifar100" else 10
    x, y = load_images(args.dataset, root, args.images)
    ours = {p: flight_images_per_s(args, root, p) for p in ("fp32", "bf16")}
    theirs = torch_images_per_s(args, x, y, classes)
    theirs_bf16 = torch_images_per_s(args, x, y, classes, bf16=True) if args.torch_bf16 else None
    import torch
    print(f"{args.net} on {args.dataset}, batch {args.batch}, {args.threads} threads, {len(x)} images, "
          f"flight {args.method} training against PyTorch FP32:")
    for asked, (ips, ran, said) in ours.items():
        note = f"  ({said})" if said else ""
        print(f"  flight {asked:<4} {ips:9.1f} images/s  {ips / theirs:5.2f}x PyTorch   ran {ran}{note}")
    print(f"  PyTorch fp32 {theirs:9.1f} images/s  (torch {torch.__version__})")
    if theirs_bf16 is not None:
        print(f"  PyTorch bf16 {theirs_bf16:9.1f} images/s  (torch.autocast cpu bfloat16)")


if __name__ == "__main__":
    main()
