"""Net checks for ``python -m parity check``: every net class the implementation has is built
small from its own constructor's signature (``parity.verify.netbuild``), given seeded weights, and
checked as Records (kind "net"):

- check = parameter key ("W1", "gamma2", ...), framework "numerical": ``net.gradient`` against the
  numerical gradient of the net's OWN loss; framework "torch": against torch autograd of the
  book's loss on the same parameters (``parity.verify.nets.localize_gradients``). max_rel_err is
  ``reference.gradient.relative_error``; a failure's message names the first divergent parameter
  in backprop order. A net whose loss is random (dropout active in ``loss``) is checked with
  NumPy's RNG reseeded before every call (said in the notes).
- check "loss" / "accuracy", framework "predict": the net agrees with itself: ``loss(x, t)`` is the
  book's cross-entropy of ``softmax(predict(x))`` (of ``predict(x)`` itself where it returns
  probabilities, as the book's chapter-4 net) plus its weight decay 0.5*lambda*sum(W^2), and
  ``accuracy(x, t)`` is the share of ``argmax(predict(x))`` equal to the labels.
- check "forward", framework "reference": layer outputs against the shipped reference net of the
  SAME architecture (``netbuild.reference_twin``: the user's layers and weights, position by
  position); a failure names the layer where the gap first jumps (``localize_forward``).
- check "predict", framework "reference": ``net.predict(x)`` as the net is called at test time
  (inference mode) after one ``gradient`` call, against the twin treated the same way.
Where the architectures differ (or there are no ``layers``), forward and predict are skipped and
the reason is said; they never compare different nets.

The configurations (``netbuild.NETS``) use the book's constructor argument names. Weights are
N(0, 0.3^2) (gamma 1 + N(0, 0.2^2)): large enough that every gradient is 1e-2 or more (a bias
before batch norm: exactly 0), small enough that the true class keeps a probability above 0.16,
which keeps the book's dropped 1e-7 in the SoftmaxWithLoss backward below 1e-6 relative (see
``parity.verify.nets.NET_GRAD_RTOL``).
"""
import numpy as np

from parity.verify import nets
from parity.verify.netbuild import (C, D, N, NETS, SEED, Built, NetBuildError, Randomness,  # noqa: F401
                                   activation_of, build, config, config_for, data_for, load_factory, randomness,
                                   reference_twin, seed_weights)
from parity.compare import compare
from parity.impl import load_implementation
from parity.records import Record
from parity.tolerances import Tol, tolerance


def data(cfg=None):
    """(x, t) the nets are checked on (``netbuild.data_for``; the MLPs' (N, 6) by default)."""
    return data_for(cfg or NETS[0])


def _record(cfg, framework, check, passed, message, impl, provenance="", **fields):
    return Record(component=cfg.name, kind="net", framework=framework, dtype="float64", check=check,
                  passed=passed, case=cfg.name, message=message, impl=impl.name, seed=SEED,
                  provenance=provenance, **fields)


NO_NET = "(nets)"


def _net_of(impl, name, index):
    """(class, provenance, None) of the ``index``-th net definition named ``name``, or
    (None, provenance, Record fields) where there is none to check: missing, error, outside."""
    defs = impl.nets().get(name, [])
    if name == NO_NET:
        return None, "", dict(status="missing", message=f"{impl.name} has no net: no class whose instances have "
                                                         f"params, loss(x, t) and gradient(x, t)")
    if not defs:
        cfg = config_for(name)
        if cfg.reference:  # a book net in a file that did not import, or in code from outside
            found = impl.lookup(cfg.reference)
            if found.status in ("error", "outside"):
                return None, found.provenance, dict(status=found.status, message=found.message)
        return None, "", dict(status="missing", message=f"the implementation {impl.name} has no net class {name} "
                                                        f"(with loss(x, t) and gradient(x, t))")
    d = defs[min(index, len(defs) - 1)]
    cls = d.obj
    module = getattr(cls, "__module__", "") or ""
    if impl.reads_definitions:
        found = impl.with_choice({name: index} if name in impl.definitions else {}).lookup(name)
    else:
        found = impl.lookup(f"{module.rpartition('.')[2]}.{name}")
    if found.status in ("error", "outside"):
        return None, d.provenance, dict(status=found.status, message=found.message)
    return cls, d.provenance, None


def run(impl, name, frameworks=("torch", "numerical"), index=0, factory=""):
    """(records, notes) for the net ``name`` (its ``index``-th definition; or the net a factory
    builds): records as the module docstring says ("missing" / "error" / "outside" where the
    implementation has none usable), notes: how it was built and checked, one line each."""
    impl = load_implementation(impl)
    cfg = config_for(name)
    if factory:
        where = f"factory {factory if isinstance(factory, str) else getattr(factory, '__name__', 'factory')}"
        try:
            np.random.seed(SEED)
            net = load_factory(factory)()
            seed_weights(net)
            built = Built(net, f"{where}()", activation_of(net))
        except Exception as e:  # noqa: BLE001
            return [_record(cfg, "-", "-", False, f"{name}: {where} raised {type(e).__name__}: {e}", impl, where,
                            status="error")], []
        cls = type(net)
    else:
        cls, where, failure = _net_of(impl, name, index)
        if failure is not None:
            return [_record(cfg, "-", "-", False, failure["message"], impl, where, status=failure["status"])], []
        try:
            built = build(cls, cfg)
        except NetBuildError as e:
            return [_record(cfg, "-", "-", False, f"{name}: {e}", impl, where, status="error")], []
        except Exception as e:  # noqa: BLE001 -- the user's constructor or params raised
            return [_record(cfg, "-", "-", False, f"{name}: building it raised {type(e).__name__}: {e}", impl, where,
                            status="error")], []
    if not isinstance(getattr(built.net, "params", None), dict):
        return [_record(cfg, "-", "-", False, f"{name} has loss and gradient but no params dict once built: "
                        f"not checked as a net", impl, where, status="skipped")], []
    notes = [f"built as {built.call}"] + built.notes
    x, t = data(cfg)
    net = built.net
    try:
        rand = randomness(net, x, t)
    except Exception as e:  # noqa: BLE001
        if cfg.fallback is None or factory:
            return [_record(cfg, "-", "loss", False, f"{cfg.name}: loss(x, t) raised {type(e).__name__}: {e}", impl,
                            where, status="error")], notes
        small = f"{type(e).__name__}: {e}"
        cfg = cfg.fallback
        try:
            built = build(cls, cfg)
            x, t = data(cfg)
            net = built.net
            rand = randomness(net, x, t)
        except Exception as e2:  # noqa: BLE001
            return [_record(cfg, "-", "loss", False, f"{cfg.name}: loss(x, t) raised {small} at the small sizes and "
                            f"{type(e2).__name__}: {e2} at the book's", impl, where, status="error")], notes
        notes = [f"at the small sizes loss(x, t) raised {small}: checked at the book's own sizes instead, built as "
                 f"{built.call}; the numerical gradient on {nets.SAMPLED_ELEMENTS} sampled elements per parameter, "
                 f"torch autograd on all"] + built.notes
    if rand.note:
        notes.append(rand.note)
    records = []
    if rand.fixed:
        records += _gradient_records(impl, cfg, net, x, t, frameworks, rand, where, built.kink)
    else:
        records.append(_record(cfg, "numerical", "gradient", False, f"{cfg.name}: not checked: {rand.note}", impl,
                               where, status="skipped"))
    records += _self_records(impl, cfg, cls, built, x, t, rand, where)
    rebuild = (lambda: build(cls, cfg, activation=built.activation).net) if not factory else None
    twin_records, twin_note = _reference_records(impl, cfg, rebuild, built, x, t, rand, where)
    if twin_note:
        notes.append(twin_note)
    return records + twin_records, notes


def _gradient_records(impl, cfg, net, x, t, frameworks, rand, where, kink=None):
    try:
        loc = nets.localize_gradients(net, x, t, with_torch="torch" in frameworks, seed=rand.seed)
    except Exception as e:  # noqa: BLE001 -- gradient() or loss() raised
        return [_record(cfg, "-", "gradient", False, f"{cfg.name}: gradient(x, t) raised {type(e).__name__}: {e}",
                        impl, where, status="error")]
    described = loc.describe()
    records = []
    tol = Tol(nets.NET_GRAD_RTOL, 0.0, "relative to the gradient's scale (parity.verify.nets.NET_GRAD_RTOL)")
    for fw in ("numerical", "torch"):
        if fw not in frameworks:
            continue
        if fw == "numerical" and kink is not None:
            records.append(_record(cfg, "numerical", "gradient", False, f"{cfg.name}: not compared with central "
                                   f"differences: a ReLU input or max-pool tie lies within {kink:.1e} of the data "
                                   f"(h = 1e-4 crosses it)", impl, where, status="skipped"))
            continue
        if fw == "torch" and loc.torch_note:
            records.append(_record(cfg, "torch", "gradient", False, f"{cfg.name}: not compared with torch: "
                                   f"{loc.torch_note}", impl, where, status="skipped"))
            continue
        for p in loc.params:
            rel = p.numerical if fw == "numerical" else p.torch
            absolute = p.max_abs_numerical if fw == "numerical" else p.max_abs_torch
            ok = not p.problem and rel <= tol.rtol
            detail = p.problem or f"backprop vs {fw}: relative error {rel:.3e} (tolerance {tol.rtol:g})"
            msg = f"{cfg.name}-{fw}-{p.param} ({p.layer}): {detail}"
            if not ok:
                msg += f"; {described}"
            records.append(_record(cfg, fw, p.param, ok, msg, impl, where, max_abs_err=absolute, max_rel_err=rel,
                                   rtol=tol.rtol, n_total=int(np.size(net.params[p.param])),
                                   status="" if p.problem == "" else "fail"))
    return records


def _predict(net, x):
    """``net.predict(x)`` as called at test time (``train_flg=False`` where it takes it)."""
    if nets._accepts(net.predict, "train_flg"):
        return np.asarray(net.predict(x, train_flg=False), dtype=np.float64)
    return np.asarray(net.predict(x), dtype=np.float64)


def _test_loss(net, x, t):
    """``net.loss(x, t)`` at test time (``train_flg=False`` where it takes it), as ``_predict``."""
    if nets._accepts(net.loss, "train_flg"):
        return float(net.loss(x, t, train_flg=False))
    return float(net.loss(x, t))


def _book_loss(y, t, net):
    """The book's loss of ``predict``'s output ``y``: (cross-entropy, weight decay). ``y`` is taken
    as scores (the cross-entropy of softmax(y), as the layered nets), or, where its rows are
    already probability distributions, as probabilities (the book's chapter-4 TwoLayerNet and the
    seeds' hand-written nets return softmax from predict). Cross-entropy with +1e-7 inside the log;
    weight decay 0.5 * lambda * sum(W^2) over the parameters named W..."""
    from reference.functions import cross_entropy_error, softmax

    probabilities = bool(np.all(y >= 0) and np.allclose(y.sum(axis=-1), 1.0, rtol=0, atol=1e-12))
    ce = float(cross_entropy_error(y if probabilities else softmax(y), t))
    lam = float(getattr(net, "weight_decay_lambda", 0) or 0)
    decay = sum(0.5 * lam * float(np.sum(np.asarray(p, np.float64) ** 2)) for k, p in net.params.items()
                if k.startswith("W")) if lam else 0.0
    return ce, decay, probabilities


def _self_records(impl, cfg, cls, built, x, t, rand, where):
    """"loss" and "accuracy" against the net's own predict (framework "predict")."""
    net = built.net
    records = []
    if not callable(getattr(net, "predict", None)):
        return [_record(cfg, "predict", c, False, f"{cfg.name}: the net has no predict(x): its loss and accuracy "
                        f"are not compared with its scores", impl, where, status="skipped") for c in ("loss", "accuracy")]
    try:
        rand.reseed()
        y = _predict(net, x)
        rand.reseed()
        loss = _test_loss(net, x, t)
    except Exception as e:  # noqa: BLE001
        return [_record(cfg, "predict", "loss", False, f"{cfg.name}: predict(x) / loss(x, t) raised "
                        f"{type(e).__name__}: {e}", impl, where, status="error")]
    ce, decay, probabilities = _book_loss(y, t, net)
    tol = tolerance("float64", "forward", N * cfg.output_size)
    c = compare(f"{cfg.name}-predict-loss", np.asarray(loss), np.asarray(ce + decay), tol, check_dtype=False)
    if not c.passed and not nets._accepts(net.loss, "train_flg") and nets._accepts(net.predict, "train_flg"):
        # a loss that always runs predict in training mode (the book's conv nets): the same mask
        rand.reseed()
        ce_train, _, _ = _book_loss(np.asarray(net.predict(x, train_flg=True), np.float64), t, net)
        in_training = compare(f"{cfg.name}-predict-loss", np.asarray(loss), np.asarray(ce_train + decay), tol,
                              check_dtype=False)
        if in_training.passed:
            c, ce = in_training, ce_train
    msg = c.message()
    if not c.passed:
        if decay and compare("", np.asarray(loss), np.asarray(ce), tol, check_dtype=False).passed:
            msg += f"; loss(x, t) leaves out the weight decay 0.5*lambda*sum(W^2) = {decay:.6g}"
        else:
            of = "predict(x) (probabilities)" if probabilities else "softmax(predict(x))"
            msg += (f"; loss(x, t) = {loss:.10g} is not the book's cross-entropy of {of} "
                    f"({ce:.10g}) plus weight decay ({decay:.6g})")
    records.append(_record(cfg, "predict", "loss", c.passed, msg, impl, where, max_abs_err=c.max_abs_err,
                           max_rel_err=c.max_rel_err, rtol=c.rtol, atol=c.atol, n_total=1))
    labels = t.argmax(axis=1)
    expected = float(np.mean(y.argmax(axis=1) == labels))
    if not callable(getattr(net, "accuracy", None)):
        records.append(_record(cfg, "predict", "accuracy", False, f"{cfg.name}: the net has no accuracy(x, t)", impl,
                               where, status="skipped"))
        return records
    try:
        rand.reseed()
        if nets._accepts(net.accuracy, "batch_size"):  # the book's conv nets: two batches of 2
            acc = float(net.accuracy(x, t, batch_size=max(1, len(x) // 2)))
        else:
            acc = float(net.accuracy(x, t))
    except Exception as e:  # noqa: BLE001
        records.append(_record(cfg, "predict", "accuracy", False, f"{cfg.name}: accuracy(x, t) raised "
                               f"{type(e).__name__}: {e}", impl, where, status="error"))
        return records
    ok = acc == expected
    records.append(_record(cfg, "predict", "accuracy", ok,
                           f"{cfg.name}-predict-accuracy: accuracy(x, t) = {acc:g}, share of argmax(predict(x)) equal "
                           f"to the labels = {expected:g}" + ("" if ok else " (MISMATCH)"), impl, where,
                           max_abs_err=abs(acc - expected), n_total=1))
    return records


def _reference_records(impl, cfg, rebuild, built, x, t, rand, where):
    """(the "forward" and "predict" records against the reference twin, note). rebuild: makes a
    fresh net like ``built`` (None: the predict check uses ``built`` itself after the forward)."""
    twin, why = reference_twin(built.net, cfg, built.kwargs)
    if twin is None:
        note = f"forward and predict are not compared with the reference: {why}"
        return [_record(cfg, "reference", c, False, f"{cfg.name}: {note}", impl, where, status="skipped")
                for c in ("forward", "predict")], note
    records = []
    fwd = nets.localize_forward(built.net, twin, x, copy_weights=False)
    if fwd.note:
        records.append(_record(cfg, "reference", "forward", False, f"{cfg.name}: {fwd.note}", impl, where,
                               status="skipped"))
    else:
        last = fwd.layers[-1]
        ok = fwd.first_jump is None
        records.append(_record(cfg, "reference", "forward", ok, f"{cfg.name}-reference-forward: {fwd.describe()}",
                               impl, where, max_abs_err=last.gap, max_rel_err=last.gap, rtol=nets.JUMP))
    # predict at test time, after one training step's forward/backward on both nets
    try:
        net = rebuild() if rebuild is not None else built.net
        twin, _ = reference_twin(net, cfg, built.kwargs)
        rand.reseed()
        net.gradient(x, t)
        rand.reseed()
        twin.gradient(x, t)
        got = _predict(net, x)
    except Exception as e:  # noqa: BLE001
        records.append(_record(cfg, "reference", "predict", False, f"{cfg.name}: gradient / predict raised "
                               f"{type(e).__name__}: {e}", impl, where, status="error"))
        return records, ""
    tol = tolerance("float64", "forward", max(D, *cfg.hidden))
    c = compare(f"{cfg.name}-reference-predict", got, _predict(twin, x), tol, check_dtype=False)
    records.append(_record(cfg, "reference", "predict", c.passed, c.message(), impl, where, max_abs_err=c.max_abs_err,
                           max_rel_err=c.max_rel_err, rtol=c.rtol, atol=c.atol, n_total=c.n_total,
                           n_mismatch=c.n_mismatch))
    return records, ""
