#!/usr/bin/python3
"""Reference fans, bounds and gains for internal/nn's initialisers.

Debian python3-torch 1.13.0a0, numpy 1.24.2:

    cd internal/nn && /usr/bin/python3 testdata/gen_init.py

For each layer it records the weight shape, torch's
_calculate_fan_in_and_fan_out, the kaiming_uniform_(a=sqrt(5)) bound that
reset_parameters uses (computed with torch.nn.init.calculate_gain exactly as
torch.nn.init.kaiming_uniform_ does), the xavier_uniform_ bound, and the
largest |value| torch actually drew for the weight and the bias of a freshly
built layer (an empirical check that the bounds are what torch samples from).
Writes testdata/init_golden.json.
"""
import json
import math

import torch
import torch.nn as nn

torch.manual_seed(0)
init = nn.init


def layer_case(name, layer):
    w = layer.weight
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(w)
    gain = init.calculate_gain("leaky_relu", math.sqrt(5))
    kaiming = math.sqrt(3.0) * gain / math.sqrt(fan_in)
    xavier = 1.0 * math.sqrt(2.0 / float(fan_in + fan_out)) * math.sqrt(3.0)
    return {
        "name": name, "shape": list(w.shape), "fan_in": fan_in, "fan_out": fan_out,
        "kaiming_bound": kaiming, "xavier_bound": xavier,
        "weight_absmax": float(w.detach().abs().max()),
        "weight_count": w.numel(),
        "bias_absmax": float(layer.bias.detach().abs().max()) if layer.bias is not None else None,
        "bias_count": layer.bias.numel() if layer.bias is not None else 0,
    }


def main():
    cases = [
        layer_case("conv_stem_3x3", nn.Conv2d(3, 48, 3, padding=1, bias=False)),
        layer_case("conv_grouped", nn.Conv2d(16, 32, 3, groups=4)),
        layer_case("conv_depthwise_5x5", nn.Conv2d(64, 64, 5, groups=64)),
        layer_case("conv_pointwise", nn.Conv2d(64, 64, 1)),
        layer_case("linear", nn.Linear(256, 100)),
        layer_case("linear_nobias", nn.Linear(128, 512, bias=False)),
        layer_case("convtranspose_k4s2p1", nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1)),
        layer_case("convtranspose_grouped", nn.ConvTranspose2d(32, 16, 4, groups=2)),
    ]
    gains = [
        {"nonlinearity": n, "param": p, "gain": init.calculate_gain(n, p)}
        for n, p in [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None),
                     ("relu", None), ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5)), ("selu", None)]
    ]
    out = {"torch": torch.__version__, "layers": cases, "gains": gains}
    with open("testdata/init_golden.json", "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
