#!/usr/bin/python3
"""Reference values for the DARTS and NAS-Bench-201 evaluation networks (darts/eval_network_test.go).

Generated with Debian python3-torch 1.13 (torch.__version__ '1.13.0a0') and numpy 1.24.2:
    cd darts/testdata && /usr/bin/python3 gen_eval.py

The model code is quark0/darts cnn/model.py and cnn/operations.py (f276dd3) and xautodl's TinyNetwork /
InferCell / ResNetBasicblock, copied below. Writes:
  - eval_counts.json: for each network, the parameter count as DARTS' utils.count_parameters_in_MB counts it
    (named_parameters() whose name has no "auxiliary"), the count with the auxiliary head, the state_dict keys,
    and the multiply-adds of one sample counted by forward hooks: Conv2d out.numel()/N * (in/groups)*kh*kw,
    Linear in*out (BN, pools, activations and additions are not counted), auxiliary head excluded.
  - eval/<case>_{x,R,logits,dx,params,grads}.npy: small networks in training mode (BN batch statistics,
    drop_path_prob 0), float32. params and grads are every learnable flattened and concatenated in
    named_parameters() order; loss = sum(logits * R).
"""
import json
import os
from collections import namedtuple

import numpy as np
import torch
import torch.nn as nn

Genotype = namedtuple('Genotype', 'normal normal_concat reduce reduce_concat')
DARTS_V2 = Genotype(
    normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1),
            ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)],
    normal_concat=[2, 3, 4, 5],
    reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1),
            ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)],
    reduce_concat=[2, 3, 4, 5])
# Every DARTS op, in both cells (test coverage; not a published genotype). The Go test holds the same table.
MIXED = Genotype(
    normal=[('sep_conv_5x5', 0), ('dil_conv_5x5', 1), ('avg_pool_3x3', 0), ('sep_conv_3x3', 2),
            ('skip_connect', 1), ('dil_conv_3x3', 2), ('max_pool_3x3', 0), ('sep_conv_5x5', 3)],
    normal_concat=[2, 3, 4, 5],
    reduce=[('avg_pool_3x3', 0), ('sep_conv_5x5', 1), ('dil_conv_5x5', 0), ('skip_connect', 2),
            ('max_pool_3x3', 1), ('dil_conv_3x3', 2), ('sep_conv_3x3', 3), ('skip_connect', 0)],
    reduce_concat=[2, 3, 4, 5])

# ---- quark0/darts cnn/operations.py ----
OPS = {
    'none': lambda C, stride, affine: Zero(stride),
    'avg_pool_3x3': lambda C, stride, affine: nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False),
    'max_pool_3x3': lambda C, stride, affine: nn.MaxPool2d(3, stride=stride, padding=1),
    'skip_connect': lambda C, stride, affine: Identity() if stride == 1 else FactorizedReduce(C, C, affine=affine),
    'sep_conv_3x3': lambda C, stride, affine: SepConv(C, C, 3, stride, 1, affine=affine),
    'sep_conv_5x5': lambda C, stride, affine: SepConv(C, C, 5, stride, 2, affine=affine),
    'dil_conv_3x3': lambda C, stride, affine: DilConv(C, C, 3, stride, 2, 2, affine=affine),
    'dil_conv_5x5': lambda C, stride, affine: DilConv(C, C, 5, stride, 4, 2, affine=affine),
}


class ReLUConvBN(nn.Module):
    def __init__(self, C_in, C_out, kernel_size, stride, padding, affine=True):
        super().__init__()
        self.op = nn.Sequential(nn.ReLU(inplace=False),
                                nn.Conv2d(C_in, C_out, kernel_size, stride=stride, padding=padding, bias=False),
                                nn.BatchNorm2d(C_out, affine=affine))

    def forward(self, x):
        return self.op(x)


class DilConv(nn.Module):
    def __init__(self, C_in, C_out, kernel_size, stride, padding, dilation, affine=True):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(C_in, C_in, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation,
                      groups=C_in, bias=False),
            nn.Conv2d(C_in, C_out, kernel_size=1, padding=0, bias=False),
            nn.BatchNorm2d(C_out, affine=affine))

    def forward(self, x):
        return self.op(x)


class SepConv(nn.Module):
    def __init__(self, C_in, C_out, kernel_size, stride, padding, affine=True):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(C_in, C_in, kernel_size=kernel_size, stride=stride, padding=padding, groups=C_in, bias=False),
            nn.Conv2d(C_in, C_in, kernel_size=1, padding=0, bias=False),
            nn.BatchNorm2d(C_in, affine=affine),
            nn.ReLU(inplace=False),
            nn.Conv2d(C_in, C_in, kernel_size=kernel_size, stride=1, padding=padding, groups=C_in, bias=False),
            nn.Conv2d(C_in, C_out, kernel_size=1, padding=0, bias=False),
            nn.BatchNorm2d(C_out, affine=affine))

    def forward(self, x):
        return self.op(x)


class Identity(nn.Module):
    def forward(self, x):
        return x


class Zero(nn.Module):
    def __init__(self, stride):
        super().__init__()
        self.stride = stride

    def forward(self, x):
        if self.stride == 1:
            return x.mul(0.)
        return x[:, :, ::self.stride, ::self.stride].mul(0.)


class FactorizedReduce(nn.Module):
    def __init__(self, C_in, C_out, affine=True):
        super().__init__()
        assert C_out % 2 == 0
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(C_in, C_out // 2, 1, stride=2, padding=0, bias=False)
        self.conv_2 = nn.Conv2d(C_in, C_out // 2, 1, stride=2, padding=0, bias=False)
        self.bn = nn.BatchNorm2d(C_out, affine=affine)

    def forward(self, x):
        x = self.relu(x)
        out = torch.cat([self.conv_1(x), self.conv_2(x[:, :, 1:, 1:])], dim=1)
        return self.bn(out)


# ---- quark0/darts cnn/model.py ----
def drop_path(x, drop_prob):
    if drop_prob > 0.:
        keep_prob = 1. - drop_prob
        mask = torch.FloatTensor(x.size(0), 1, 1, 1).bernoulli_(keep_prob)
        x.div_(keep_prob)
        x.mul_(mask)
    return x


class Cell(nn.Module):
    def __init__(self, genotype, C_prev_prev, C_prev, C, reduction, reduction_prev):
        super().__init__()
        if reduction_prev:
            self.preprocess0 = FactorizedReduce(C_prev_prev, C)
        else:
            self.preprocess0 = ReLUConvBN(C_prev_prev, C, 1, 1, 0)
        self.preprocess1 = ReLUConvBN(C_prev, C, 1, 1, 0)
        if reduction:
            op_names, indices = zip(*genotype.reduce)
            concat = genotype.reduce_concat
        else:
            op_names, indices = zip(*genotype.normal)
            concat = genotype.normal_concat
        self._compile(C, op_names, indices, concat, reduction)

    def _compile(self, C, op_names, indices, concat, reduction):
        assert len(op_names) == len(indices)
        self._steps = len(op_names) // 2
        self._concat = concat
        self.multiplier = len(concat)
        self._ops = nn.ModuleList()
        for name, index in zip(op_names, indices):
            stride = 2 if reduction and index < 2 else 1
            op = OPS[name](C, stride, True)
            self._ops += [op]
        self._indices = indices

    def forward(self, s0, s1, drop_prob):
        s0 = self.preprocess0(s0)
        s1 = self.preprocess1(s1)
        states = [s0, s1]
        for i in range(self._steps):
            h1 = states[self._indices[2 * i]]
            h2 = states[self._indices[2 * i + 1]]
            op1 = self._ops[2 * i]
            op2 = self._ops[2 * i + 1]
            h1 = op1(h1)
            h2 = op2(h2)
            if self.training and drop_prob > 0.:
                if not isinstance(op1, Identity):
                    h1 = drop_path(h1, drop_prob)
                if not isinstance(op2, Identity):
                    h2 = drop_path(h2, drop_prob)
            s = h1 + h2
            states += [s]
        return torch.cat([states[i] for i in self._concat], dim=1)


class AuxiliaryHeadCIFAR(nn.Module):
    def __init__(self, C, num_classes):
        super().__init__()
        self.features = nn.Sequential(
            nn.ReLU(inplace=True),
            nn.AvgPool2d(5, stride=3, padding=0, count_include_pad=False),
            nn.Conv2d(C, 128, 1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=True),
            nn.Conv2d(128, 768, 2, bias=False),
            nn.BatchNorm2d(768),
            nn.ReLU(inplace=True))
        self.classifier = nn.Linear(768, num_classes)

    def forward(self, x):
        x = self.features(x)
        return self.classifier(x.view(x.size(0), -1))


class AuxiliaryHeadImageNet(nn.Module):
    def __init__(self, C, num_classes):
        super().__init__()
        self.features = nn.Sequential(
            nn.ReLU(inplace=True),
            nn.AvgPool2d(5, stride=2, padding=0, count_include_pad=False),
            nn.Conv2d(C, 128, 1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=True),
            nn.Conv2d(128, 768, 2, bias=False),
            # nn.BatchNorm2d(768),  (commented out in the reference, see its NOTE)
            nn.ReLU(inplace=True))
        self.classifier = nn.Linear(768, num_classes)

    def forward(self, x):
        x = self.features(x)
        return self.classifier(x.view(x.size(0), -1))


class NetworkCIFAR(nn.Module):
    def __init__(self, C, num_classes, layers, auxiliary, genotype):
        super().__init__()
        self._layers = layers
        self._auxiliary = auxiliary
        self.drop_path_prob = 0.
        stem_multiplier = 3
        C_curr = stem_multiplier * C
        self.stem = nn.Sequential(nn.Conv2d(3, C_curr, 3, padding=1, bias=False), nn.BatchNorm2d(C_curr))
        C_prev_prev, C_prev, C_curr = C_curr, C_curr, C
        self.cells = nn.ModuleList()
        reduction_prev = False
        for i in range(layers):
            if i in [layers // 3, 2 * layers // 3]:
                C_curr *= 2
                reduction = True
            else:
                reduction = False
            cell = Cell(genotype, C_prev_prev, C_prev, C_curr, reduction, reduction_prev)
            reduction_prev = reduction
            self.cells += [cell]
            C_prev_prev, C_prev = C_prev, cell.multiplier * C_curr
            if i == 2 * layers // 3:
                C_to_auxiliary = C_prev
        if auxiliary:
            self.auxiliary_head = AuxiliaryHeadCIFAR(C_to_auxiliary, num_classes)
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(C_prev, num_classes)

    def forward(self, input):
        logits_aux = None
        s0 = s1 = self.stem(input)
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1, self.drop_path_prob)
            if i == 2 * self._layers // 3:
                if self._auxiliary and self.training:
                    logits_aux = self.auxiliary_head(s1)
        out = self.global_pooling(s1)
        logits = self.classifier(out.view(out.size(0), -1))
        return logits, logits_aux


class NetworkImageNet(nn.Module):
    def __init__(self, C, num_classes, layers, auxiliary, genotype):
        super().__init__()
        self._layers = layers
        self._auxiliary = auxiliary
        self.drop_path_prob = 0.
        self.stem0 = nn.Sequential(
            nn.Conv2d(3, C // 2, kernel_size=3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(C // 2),
            nn.ReLU(inplace=True),
            nn.Conv2d(C // 2, C, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(C))
        self.stem1 = nn.Sequential(
            nn.ReLU(inplace=True),
            nn.Conv2d(C, C, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(C))
        C_prev_prev, C_prev, C_curr = C, C, C
        self.cells = nn.ModuleList()
        reduction_prev = True
        for i in range(layers):
            if i in [layers // 3, 2 * layers // 3]:
                C_curr *= 2
                reduction = True
            else:
                reduction = False
            cell = Cell(genotype, C_prev_prev, C_prev, C_curr, reduction, reduction_prev)
            reduction_prev = reduction
            self.cells += [cell]
            C_prev_prev, C_prev = C_prev, cell.multiplier * C_curr
            if i == 2 * layers // 3:
                C_to_auxiliary = C_prev
        if auxiliary:
            self.auxiliary_head = AuxiliaryHeadImageNet(C_to_auxiliary, num_classes)
        self.global_pooling = nn.AvgPool2d(7)
        self.classifier = nn.Linear(C_prev, num_classes)

    def forward(self, input):
        logits_aux = None
        s0 = self.stem0(input)
        s1 = self.stem1(s0)
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1, self.drop_path_prob)
            if i == 2 * self._layers // 3:
                if self._auxiliary and self.training:
                    logits_aux = self.auxiliary_head(s1)
        out = self.global_pooling(s1)
        logits = self.classifier(out.view(out.size(0), -1))
        return logits, logits_aux


# ---- xautodl: cell_operations.py (ReLUConvBN, ResNetBasicblock, POOLING), cell_infers/cells.py
# (InferCell), cell_infers/tiny_network.py (TinyNetwork) ----
class NB201ReLUConvBN(nn.Module):
    def __init__(self, C_in, C_out, kernel_size, stride, padding, dilation, affine, track_running_stats=True):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(C_in, C_out, kernel_size, stride=stride, padding=padding, dilation=dilation, bias=not affine),
            nn.BatchNorm2d(C_out, affine=affine, track_running_stats=track_running_stats))

    def forward(self, x):
        return self.op(x)


class ResNetBasicblock(nn.Module):
    def __init__(self, inplanes, planes, stride, affine=True):
        super().__init__()
        self.conv_a = NB201ReLUConvBN(inplanes, planes, 3, stride, 1, 1, affine)
        self.conv_b = NB201ReLUConvBN(planes, planes, 3, 1, 1, 1, affine)
        if stride == 2:
            self.downsample = nn.Sequential(nn.AvgPool2d(kernel_size=2, stride=2, padding=0),
                                            nn.Conv2d(inplanes, planes, kernel_size=1, stride=1, padding=0, bias=False))
        elif inplanes != planes:
            self.downsample = NB201ReLUConvBN(inplanes, planes, 1, 1, 0, 1, affine)
        else:
            self.downsample = None
        self.out_dim = planes

    def forward(self, inputs):
        basicblock = self.conv_b(self.conv_a(inputs))
        residual = self.downsample(inputs) if self.downsample is not None else inputs
        return residual + basicblock


NB201_OPS = {
    'none': lambda C_in, C_out, stride, affine: Zero(stride),
    'avg_pool_3x3': lambda C_in, C_out, stride, affine: nn.AvgPool2d(3, stride=stride, padding=1,
                                                                    count_include_pad=False),
    'nor_conv_3x3': lambda C_in, C_out, stride, affine: NB201ReLUConvBN(C_in, C_out, 3, stride, 1, 1, affine),
    'nor_conv_1x1': lambda C_in, C_out, stride, affine: NB201ReLUConvBN(C_in, C_out, 1, stride, 0, 1, affine),
    'skip_connect': lambda C_in, C_out, stride, affine: Identity(),
}


class InferCell(nn.Module):
    def __init__(self, genotype, C_in, C_out, stride):
        super().__init__()
        self.layers = nn.ModuleList()
        self.node_IN = []
        self.node_IX = []
        for i in range(1, len(genotype) + 1):
            node_info = genotype[i - 1]
            cur_index, cur_innod = [], []
            for (op_name, op_in) in node_info:
                if op_in == 0:
                    layer = NB201_OPS[op_name](C_in, C_out, stride, True)
                else:
                    layer = NB201_OPS[op_name](C_out, C_out, 1, True)
                cur_index.append(len(self.layers))
                cur_innod.append(op_in)
                self.layers.append(layer)
            self.node_IX.append(cur_index)
            self.node_IN.append(cur_innod)
        self.out_dim = C_out

    def forward(self, inputs):
        nodes = [inputs]
        for node_layers, node_innods in zip(self.node_IX, self.node_IN):
            nodes.append(sum(self.layers[_il](nodes[_ii]) for _il, _ii in zip(node_layers, node_innods)))
        return nodes[-1]


class TinyNetwork(nn.Module):
    def __init__(self, C, N, genotype, num_classes):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, C, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(C))
        layer_channels = [C] * N + [C * 2] + [C * 2] * N + [C * 4] + [C * 4] * N
        layer_reductions = [False] * N + [True] + [False] * N + [True] + [False] * N
        C_prev = C
        self.cells = nn.ModuleList()
        for C_curr, reduction in zip(layer_channels, layer_reductions):
            if reduction:
                cell = ResNetBasicblock(C_prev, C_curr, 2, True)
            else:
                cell = InferCell(genotype, C_prev, C_curr, 1)
            self.cells.append(cell)
            C_prev = cell.out_dim
        self.lastact = nn.Sequential(nn.BatchNorm2d(C_prev), nn.ReLU(inplace=True))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(C_prev, num_classes)

    def forward(self, inputs):
        feature = self.stem(inputs)
        for cell in self.cells:
            feature = cell(feature)
        out = self.lastact(feature)
        out = self.global_pooling(out)
        return self.classifier(out.view(out.size(0), -1))


def nb201_genotype(arch):
    # "|op~0|+|op~0|op~1|+|op~0|op~1|op~2|" -> [((op,0),), ((op,0),(op,1)), ...]
    nodes = []
    for node in arch.split('+'):
        nodes.append(tuple((e.split('~')[0], int(e.split('~')[1])) for e in node.strip('|').split('|')))
    return nodes


def count_params(model):  # DARTS utils.count_parameters_in_MB, without the /1e6
    return int(sum(np.prod(v.size()) for name, v in model.named_parameters() if "auxiliary" not in name))


def count_macs(model, shape):
    total = [0]

    def hook(mod, inp, out):
        if isinstance(mod, nn.Conv2d):
            total[0] += out.numel() // out.shape[0] * (mod.in_channels // mod.groups) * \
                mod.kernel_size[0] * mod.kernel_size[1]
        elif isinstance(mod, nn.Linear):
            total[0] += mod.in_features * mod.out_features

    hs = [m.register_forward_hook(hook) for n, m in model.named_modules()
          if isinstance(m, (nn.Conv2d, nn.Linear)) and 'auxiliary' not in n]
    model.eval()
    with torch.no_grad():
        model(torch.zeros(shape))
    for h in hs:
        h.remove()
    return int(total[0])


NB201_ARCH = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|"


def main():
    global rng, counts_small
    counts = {}
    torch.manual_seed(0)
    for name, make, shape in [
        ("cifar10_DARTS_V2_C36_L20_aux", lambda: NetworkCIFAR(36, 10, 20, True, DARTS_V2), (1, 3, 32, 32)),
        ("cifar100_DARTS_V2_C36_L20_aux", lambda: NetworkCIFAR(36, 100, 20, True, DARTS_V2), (1, 3, 32, 32)),
        ("cifar10_DARTS_V2_C16_L8", lambda: NetworkCIFAR(16, 10, 8, False, DARTS_V2), (1, 3, 32, 32)),
        ("imagenet_DARTS_V2_C48_L14_aux", lambda: NetworkImageNet(48, 1000, 14, True, DARTS_V2), (1, 3, 224, 224)),
        ("nb201_cifar10_C16_N5", lambda: TinyNetwork(16, 5, nb201_genotype(NB201_ARCH), 10), (1, 3, 32, 32)),
    ]:
        m = make()
        counts[name] = {
            "params": count_params(m),
            "params_with_aux": int(sum(p.numel() for p in m.parameters())),
            "mult_adds": count_macs(m, shape),
            "state_dict_keys": list(m.state_dict().keys()),
        }
    with open("eval_counts.json", "w") as f:
        json.dump(counts, f, indent=0)
        f.write("\n")

    # ---- parity fixtures ----
    os.makedirs("eval", exist_ok=True)
    rng = np.random.default_rng(11)


    def save(name, a):
        if isinstance(a, torch.Tensor):
            a = a.detach().numpy()
        np.save(f"eval/{name}.npy", np.ascontiguousarray(a, dtype=np.float32))


    def parity(case, m, shape, aux_weight=None):
        m.train()
        with torch.no_grad():  # BN affine parameters are 1/0 at init; redraw them so that a swap would show
            for mod in m.modules():
                if isinstance(mod, nn.BatchNorm2d) and mod.affine:
                    mod.weight.copy_(torch.tensor(rng.uniform(0.5, 1.5, mod.weight.shape).astype(np.float32)))
                    mod.bias.copy_(torch.tensor(rng.standard_normal(mod.bias.shape).astype(np.float32) * 0.3))
        params = [p for _, p in m.named_parameters()]
        save(f"{case}_params", torch.cat([p.detach().reshape(-1) for p in params]))
        x = torch.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
        out = m(x)
        logits = out[0] if isinstance(out, tuple) else out
        R = torch.tensor(rng.standard_normal(logits.shape).astype(np.float32))
        (logits * R).sum().backward()
        save(f"{case}_x", x)
        save(f"{case}_R", R)
        save(f"{case}_logits", logits)
        save(f"{case}_dx", x.grad)
        save(f"{case}_grads", torch.cat([p.grad.reshape(-1) for p in params]))
        counts_small[case] = list(m.state_dict().keys())


    counts_small = {}
    torch.manual_seed(1)
    parity("cifar_v2_C4_L3", NetworkCIFAR(4, 10, 3, False, DARTS_V2), (2, 3, 16, 16))
    parity("cifar_mixed_C4_L3", NetworkCIFAR(4, 10, 3, False, MIXED), (2, 3, 16, 16))
    parity("nb201_C4_N1", TinyNetwork(4, 1, nb201_genotype(NB201_ARCH), 10), (2, 3, 16, 16))
    with open("eval/keys.json", "w") as f:
        json.dump(counts_small, f, indent=0)
        f.write("\n")


if __name__ == "__main__":
    main()
