from tests.mapping.golden_case import Case

CASES: list[Case] = []
