"""Reading BPX files: bpx's own parser first, and a clear error naming the file otherwise."""
from __future__ import annotations

import json

import pytest

from celltwin.cellmodel._bpx import read_bpx, validate_bpx
from celltwin.platform.errors import ParameterError


@pytest.mark.parametrize("content", ["{not json", json.dumps({"Header": {}}), json.dumps([1, 2])])
def test_a_file_that_is_not_bpx_is_refused_naming_it(tmp_path, content):
    path = tmp_path / "cell.json"
    path.write_text(content)
    for reader in (validate_bpx, read_bpx):
        with pytest.raises(ParameterError, match="is not valid BPX") as info:
            reader(path)
        assert info.value.parameter == "bpx" and str(path) in str(info.value)
