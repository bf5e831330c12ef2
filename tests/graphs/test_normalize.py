from graphs.normalize import Canonicalizer, display_name, normalize, normalize_title


def test_normalize_folds_case_punctuation_whitespace():
    assert normalize("The  Beatles'") == "beatles"
    assert normalize("Steven Spielberg's") == "steven spielberg"
    assert normalize("frederica_of_mecklenburg-strelitz") == "frederica of mecklenburg strelitz"
    assert normalize("U.S.A.") == "u s a"
    assert normalize(" -- ") == ""
    assert normalize_title("Lilu (mythology)") == "lilu"


def test_canonicalizer_merges_near_spellings_only():
    canon = Canonicalizer(threshold=90)
    assert canon.resolve("steven spielberg") == "steven spielberg"
    assert canon.resolve("steven spielburg") == "steven spielberg"
    assert canon.resolve("apollo 12 mission") == "apollo 12 mission"
    assert canon.resolve("apollo 13 mission") == "apollo 13 mission"  # digits differ: not an alias
    assert canon.resolve("stevens") == "stevens"
    assert canon.aliases == {"steven spielburg": "steven spielberg"}


def test_display_name_prefers_frequent_form():
    assert display_name({"NASA": 3, "Nasa": 1}) == "NASA"
