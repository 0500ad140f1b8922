"Triton linear-attention kernel vs the fp32 oracle, outputs and every gradient, under Triton's CPU interpreter."

import importlib, os, sys, zlib

# before the kernels are defined: triton.jit picks the interpreter at decoration time
os.environ['TRITON_INTERPRET'] = '1'
import pytest
import torch
import lowrank_nb.linear_vit.attention as la

if not la._interpreting() or 'Interpreted' not in type(la._la_state_fwd).__name__:
    la = importlib.reload(la)
from lowrank_nb.core import assert_rel_close, rel_rms

# B, H, N, D, Dv
SHAPES = [(1, 1, 63, 60, 60), (2, 3, 17, 16, 24), (1, 2, 100, 32, 8), (1, 1, 2, 4, 4), (2, 1, 64, 64, 64)]
# (N = 1 is forward-only below: there the output is v whatever q is, so dq is rounding noise around 0)


@pytest.fixture(autouse=True)
def nan_buffers():
    # every kernel output starts as NaN: an unwritten element fails
    la._NAN_FILL = True
    torch.set_num_threads(1)
    yield
    la._NAN_FILL = False


def test_kernels_are_interpreted():
    assert 'Interpreted' in type(la._la_state_fwd).__name__, type(la._la_state_fwd)
    assert la.triton_unsupported(torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 4, 4)) is None


@pytest.mark.parametrize('fm', la.FEATURE_MAPS)
@pytest.mark.parametrize('shape', SHAPES, ids=lambda s: 'B{}H{}N{}D{}Dv{}'.format(*s))
def test_triton_matches_oracle(shape, fm):
    B, H, N, D, Dv = shape
    # a fixed seed per case (`hash` of a str changes with every process)
    g = torch.Generator().manual_seed(zlib.crc32(f'{shape} {fm}'.encode()))
    q, k = (torch.randn(B, H, N, D, generator=g).requires_grad_() for _ in range(2))
    v = torch.randn(B, H, N, Dv, generator=g).requires_grad_()
    dout = torch.randn(B, H, N, Dv, generator=g)

    def run(f, **kw):
        o = f(q, k, v, fm, **kw)
        return (o, *torch.autograd.grad((o * dout).sum(), (q, k, v)))

    got, ref = run(la.linear_attention, impl='triton'), run(la.linear_attention_ref)
    for name, a, b in zip(('out', 'dq', 'dk', 'dv'), got, ref):
        assert a.dtype == b.dtype and a.shape == b.shape, name
        assert_rel_close(a, b, 1e-5, name=f'{name} {shape} {fm}')


@pytest.mark.parametrize('N,M', [(126, 63), (5, 40)], ids=['N126M63', 'N5M40'])
def test_triton_more_or_fewer_queries_than_keys(N, M):
    "The reference's Hydra stacks its branches' queries along N against M keys."
    g = torch.Generator().manual_seed(N * M)
    q = torch.randn(1, 2, N, 60, generator=g).requires_grad_()
    k = torch.randn(1, 2, M, 60, generator=g).requires_grad_()
    v = torch.randn(1, 2, M, 20, generator=g).requires_grad_()
    dout = torch.randn(1, 2, N, 20, generator=g)

    def run(f, **kw):
        o = f(q, k, v, **kw)
        return (o, *torch.autograd.grad((o * dout).sum(), (q, k, v)))

    for name, a, b in zip(
        ('out', 'dq', 'dk', 'dv'), run(la.linear_attention, impl='triton'), run(la.linear_attention_ref)
    ):
        assert_rel_close(a, b, 1e-5, name=f'{name} N={N} M={M}')


def test_auto_takes_triton_under_the_interpreter():
    q = torch.randn(1, 1, 8, 4)
    assert la._choose_impl('auto', q, q, 'relu') == 'triton'
    assert la._choose_impl('torch', q, q, 'relu') == 'torch'
    one = torch.randn(2, 3, 1, 4)
    assert_rel_close(la.linear_attention(one, one, one, impl='triton'), la.linear_attention_ref(one, one, one), 1e-5)
    with pytest.raises(ValueError, match="dtype torch.float64"):
        la.linear_attention(q.double(), q.double(), q.double(), impl='triton')


def test_bf16_kernel_is_finite_and_close():
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(1, 1, 40, 16, generator=g) for _ in range(3))
    o = la.linear_attention(q.bfloat16(), k.bfloat16(), v.bfloat16(), impl='triton')
    assert o.dtype == torch.bfloat16
    assert_rel_close(o.float(), la.linear_attention_ref(q, k, v), 2e-2)


@pytest.mark.parametrize('qo,ko', [(-3, 3), (3, -3)], ids=['Qneg_Kpos', 'Qpos_Kneg'])
@pytest.mark.parametrize('fm', la.FEATURE_MAPS)
def test_offset_inputs_within_10x_of_direct_fp32(qo, ko, fm):
    "Issue 21 item 9: on offset inputs both paths stay within 10x of the direct fp32 error (against fp64)."
    g = torch.Generator().manual_seed(21)
    q, k = torch.randn(1, 2, 40, 32, generator=g) + qo, torch.randn(1, 2, 40, 32, generator=g) + ko
    v = torch.randn(1, 2, 40, 32, generator=g)
    exact = la.linear_attention_ref(q.double(), k.double(), v.double(), fm)
    direct = rel_rms(la.linear_attention_ref(q, k, v, fm), exact)
    # not a degenerate case: with too few features, phi(q).phi(k) = 0 and every output is exactly 0
    assert direct > 0
    for impl in ('triton', 'torch'):
        err = rel_rms(la.linear_attention(q, k, v, fm, impl=impl), exact)
        assert err <= 10 * direct, f"{impl}: {err:.1e} vs direct fp32 {direct:.1e}"
    # the fallback at a size where it takes the linear order (the one that used to cancel)
    q, k = torch.randn(1, 2, 300, 32, generator=g) + qo, torch.randn(1, 2, 300, 32, generator=g) + ko
    v = torch.randn(1, 2, 300, 32, generator=g)
    exact = la.linear_attention_ref(q.double(), k.double(), v.double(), fm)
    direct = rel_rms(la.linear_attention_ref(q, k, v, fm), exact)
    err = rel_rms(la.linear_attention(q, k, v, fm, impl='torch'), exact)
    assert err <= 10 * direct, f"torch: {err:.1e} vs direct fp32 {direct:.1e}"


def test_fp64_falls_back_and_passes_gradcheck():
    "Float64 inputs are computed in float64: `auto` takes the fallback and gradcheck holds."
    g = torch.Generator().manual_seed(64)
    q, k, v = (torch.randn(1, 1, 40, 3, generator=g, dtype=torch.float64).requires_grad_() for _ in range(3))
    assert la._choose_impl('auto', q, v, 'relu') == 'torch'
    assert la.linear_attention(q, k, v).dtype == torch.float64
    assert torch.autograd.gradcheck(lambda q, k, v: la.linear_attention(q, k, v), (q, k, v))
