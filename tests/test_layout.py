"""The library's layout rules (issue 18), read from the generated modules' syntax trees:

1. every public name is defined in exactly one module (re-exports by import are not definitions;
   `@patch` methods belong to their class);
2. a method package imports the toolkit, never another method package, and the toolkit imports no method
   (modules that only re-export, kept for old import paths, excepted);
3. no module imports another module's `_private` name.
"""

import ast
from collections import defaultdict

from conftest import ROOT

LIB = ROOT / 'lowrank_nb'
METHODS = ('nsa_vit', 'linear_vit', 'nsn', 'prehab')


def modules() -> dict[str, ast.Module]:
    "Dotted module name -> syntax tree, for every generated module."
    out = {}
    for p in sorted(LIB.rglob('*.py')):
        if p.name == '_modidx.py':
            continue
        parts = p.relative_to(ROOT).with_suffix('').parts
        name = '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)
        out[name] = ast.parse(p.read_text(encoding='utf-8'))
    return out


def is_package(name: str) -> bool:
    return (ROOT / name.replace('.', '/') / '__init__.py').is_file()


def dunder_all(tree: ast.Module) -> set[str]:
    "The names listed in the module's `__all__` (empty if it has none)."
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, 'id', None) == '__all__' for t in node.targets):
            return set(ast.literal_eval(node.value))
    return set()


def is_patch(node) -> bool:
    "A function decorated with fastcore's `@patch` / `@patch_to`: a method of another class."
    names = {getattr(d, 'id', getattr(getattr(d, 'func', None), 'id', None)) for d in node.decorator_list}
    return bool(names & {'patch', 'patch_to'})


def defined(tree: ast.Module) -> set[str]:
    "Top-level names the module itself defines (def, class, assignment), `@patch` methods excluded."
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not is_patch(node):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def imports(name: str, tree: ast.Module):
    "`(imported module, imported names)` for every `from ... import` in the module, resolved to dotted names."
    pkg = name if is_package(name) else name.rpartition('.')[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = pkg.split('.')
            if node.level:
                base = base[: len(base) - node.level + 1]
                mod = '.'.join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ''
            yield mod, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, []


def method_of(name: str) -> str | None:
    parts = name.split('.')
    return parts[1] if len(parts) > 1 and parts[1] in METHODS and is_package(f'lowrank_nb.{parts[1]}') else None


def test_the_rules_see_the_library():
    "The checks below read every module; a rename that hides the library from them would make them pass vacuously."
    mods = modules()
    assert {'lowrank_nb.core', 'lowrank_nb.lowrank', 'lowrank_nb.nsa_vit.losses'} <= set(mods)
    assert sum(len(dunder_all(t)) for t in mods.values()) > 200


def test_library_lines_fit_120_columns():
    """Lines <= 120 characters in the generated library, as in the notebooks it comes from. The library is exactly what
    `nbdev_export` writes, so two things of nbdev's own are exempt: its index `_modidx.py` and the first line of each
    `__all__` (wrapped at 120 before nbdev prefixes `__all__ = `)."""
    long = [
        f'{p.relative_to(ROOT)}:{i}'
        for p in sorted(LIB.rglob('*.py'))
        if p.name != '_modidx.py'
        for i, line in enumerate(p.read_text(encoding='utf-8').splitlines(), 1)
        if len(line) > 120 and not (line.startswith('__all__ = [') and len(line) <= 130)
    ]
    assert not long, long


def test_every_public_name_is_defined_once():
    where = defaultdict(list)
    for name, tree in modules().items():
        for sym in dunder_all(tree) & defined(tree):
            where[sym].append(name)
    twice = {s: ms for s, ms in where.items() if len(ms) > 1}
    assert not twice, f'public names defined in more than one module: {twice}'


def test_methods_import_only_the_toolkit():
    bad = []
    for name, tree in modules().items():
        own = method_of(name)
        if own is None:
            continue
        for mod, _ in imports(name, tree):
            other = method_of(mod) if mod.startswith('lowrank_nb.') else None
            if other is not None and other != own:
                bad.append(f'{name} imports {mod}')
    assert not bad, bad


def is_shim(tree: ast.Module) -> bool:
    "A module that defines nothing of its own (only `__all__` and imports): an old import path kept working."
    return not (defined(tree) - {'__all__'})


# modules that run every method by design: the GPU campaign measures each method's GPU targets in one process on a
# machine with no papermill (an experiment notebook would import the methods the same way)
RUNNERS = {'lowrank_nb.gpu_campaign'}


def test_the_toolkit_imports_no_method():
    bad = []
    for name, tree in modules().items():
        if method_of(name) is not None or name in RUNNERS | {'lowrank_nb'} or is_shim(tree):
            continue
        bad += [f'{name} imports {mod}' for mod, _ in imports(name, tree) if method_of(mod) is not None]
    assert not bad, bad


def test_no_private_name_crosses_a_module():
    bad = []
    for name, tree in modules().items():
        for mod, names in imports(name, tree):
            if mod.startswith('lowrank_nb') and mod != name:
                bad += [f'{name} imports {mod}.{n}' for n in names if n.startswith('_') and not n.startswith('__')]
    assert not bad, bad


def test_every_config_signature_resolves():
    "A dataclass's generated `__init__` resolves inherited annotations in the subclass's module (show_doc needs it)."
    import dataclasses
    import importlib
    import inspect

    bad, seen = [], 0
    for name in modules():
        mod = importlib.import_module(name)
        for obj in vars(mod).values():
            if isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__module__ == name:
                seen += 1
                try:
                    inspect.signature(obj.__init__, eval_str=True)
                except NameError as e:
                    bad.append(f'{name}.{obj.__name__}: {e}')
    assert seen >= 10 and not bad, (seen, bad)
