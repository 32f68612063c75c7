"""What the end-to-end suite covered, printed at its end by conftest's terminal-summary hook.

A module of its own so that tests and conftest share one object (conftest itself is imported under
another name than `tests.e2e.conftest`)."""


class Coverage:
    def __init__(self) -> None:
        self.passed: dict[str, int] = {"flow": 0, "fault": 0}  # tests marked flow / fault that passed
        # cells of test_security_matrix checked: passed, or failing as their strict xfail says
        self.matrix_cells = 0
        self.bad_inputs = 0  # fuzzed requests and workbooks sent


coverage = Coverage()
