import subprocess
import sys

from tests.conftest import ROOT


def test_home_renders_with_links_to_every_page(app):
    app.run()
    assert not app.exception
    assert "fibdash" in app.title[0].value
    pages = ["Tutorial", "Dataset", "Train", "Compare", "Robustness", "Sweep"]
    assert [link.proto.page for link in app.main.get("page_link")] == pages
    assert [link.proto.label for link in app.sidebar.get("page_link")] == ["Home", *pages]
    assert any("33 parameters" in m.value for m in app.markdown)


def test_home_does_not_import_tensorflow():
    code = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"AppTest.from_file({str(ROOT / 'app.py')!r}, default_timeout=60).run()\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip().splitlines()[-1] == "False False"
