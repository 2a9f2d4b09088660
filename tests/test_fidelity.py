import math
import random

import pytest

from gemelo.fidelity import Attributor, distances, fidelity, jensen_shannon, laugh_form, markers, profile, tokens, wasserstein
from collections import Counter

REPLIES = [["jajaja", "posta?? 😂"], ["q onda"], ["¿Vamos mañana?", "¡Dale!"], ["Sí."]]


def test_profile_on_hand_made_replies():
    p = profile(REPLIES, frozenset({"q", "onda", "posta", "jaja"}))
    assert p["replies"] == 4 and p["messages"] == 6
    assert p["messages_per_reply"] == [2, 1, 2, 1]
    assert p["chars"] == [6, 9, 6, 14, 6, 3]
    assert p["words"] == [1, 1, 2, 2, 1, 1]
    assert p["emoji_rate"] == pytest.approx(1 / 6) and p["top_emoji"] == ["😂"]
    # messages starting with a letter: jajaja, posta, q onda, Sí. (¿ and ¡ are not letters)
    assert p["lowercase_start"] == pytest.approx(3 / 4)
    assert p["laugh_rate"] == pytest.approx(1 / 6) and p["laugh_forms"] == {"jaja": 1}
    assert p["question_rate"] == pytest.approx(2 / 6) and p["opening_question_mark"] == pytest.approx(1 / 2)
    assert p["exclamation_rate"] == pytest.approx(1 / 6) and p["opening_exclamation_mark"] == 1.0
    assert p["final_period_rate"] == pytest.approx(1 / 6)
    # tokens: jaja (the laugh) posta 😂 q onda vamos mañana dale sí → four are the given markers
    assert p["marker_rate"] == pytest.approx(4 / 9)
    assert p["distinct_1"] == 1.0 and p["distinct_2"] == 1.0


def test_laugh_forms():
    assert [laugh_form(x) for x in ("JAJAJA", "jajsjs", "jsjsjs", "xd", "XDDD", "hahaha", "jejeje")] == \
        ["jaja", "jsjs", "jsjs", "xd", "xd", "haha", "jeje"]
    assert profile([["jajsjsj me muero", "XD", "nada que ver", "jamás"]])["laugh_rate"] == pytest.approx(2 / 4)


def test_distinct_n_counts_repeats():
    p = profile([["re re re", "re"]])
    assert p["distinct_1"] == pytest.approx(1 / 4) and p["distinct_2"] == pytest.approx(1 / 3)


def test_jensen_shannon_bounds():
    a = Counter({"hola": 2, "che": 2})
    assert jensen_shannon(a, a) == 0.0
    assert jensen_shannon(a, Counter({"hello": 1})) == pytest.approx(1.0)
    assert jensen_shannon(Counter({"x": 1}), Counter({"x": 1, "y": 1})) == pytest.approx(
        0.5 * (math.log2(4 / 3)) + 0.5 * (0.5 * math.log2(2 / 3) + 0.5 * math.log2(2)))


def test_wasserstein_is_the_shift_between_samples():
    assert wasserstein([1, 2, 3], [1, 2, 3]) == 0.0
    assert wasserstein([1, 2, 3], [3, 4, 5]) == pytest.approx(2.0)
    assert wasserstein([0, 0], [0, 10]) == pytest.approx(5.0)


def test_distances_are_zero_for_the_same_replies_and_grow_with_style_differences():
    same = distances(REPLIES, REPLIES)
    assert all(v == 0 for v in same.values())
    formal = [["Hola, ¿cómo estás? Espero que bien."], ["Nos vemos mañana en la facultad."]]
    far = distances(REPLIES, formal)
    assert far["jsd_words"] > 0.5 and far["wasserstein_chars"] > 10 and far["diff_final_period_rate"] > 0.5


def _texts(n=400, seed=0):
    rng = random.Random(seed)
    author = ["jajaja posta", "q onda amiga", "re va 😂", "dale bldo", "nada jsjs", "tmb xq no"]
    other = ["¿Cómo estás?", "Nos vemos mañana.", "¡Qué bueno!", "Te llamo luego.", "Sí, claro.", "Perfecto, gracias."]
    texts, labels = [], []
    for _ in range(n):
        is_author = rng.random() < 0.5
        texts.append(rng.choice(author if is_author else other) + " " + rng.choice(["", "hoy", "ahora"]))
        labels.append(is_author)
    return texts, labels


def test_attributor_tells_the_author_apart_and_is_at_chance_on_shuffled_labels():
    texts, labels = _texts()
    test_texts, test_labels = _texts(200, seed=1)
    judge = Attributor().fit(texts, labels)
    author_replies = [[t] for t, l in zip(test_texts, test_labels) if l]
    other_replies = [[t] for t, l in zip(test_texts, test_labels) if not l]
    assert judge.author_rate(author_replies) > 0.95 and judge.author_rate(other_replies) < 0.05
    shuffled = labels[:]
    random.Random(2).shuffle(shuffled)
    blind = Attributor().fit(texts, shuffled)
    predictions = [blind.author_rate([[t]]) for t in test_texts]
    accuracy = sum(p == l for p, l in zip(predictions, test_labels)) / len(test_labels)
    assert abs(accuracy - 0.5) < 0.15


def test_tokens_count_a_laugh_as_its_family():
    assert tokens("JAJAJAJA posta 😂 jsjsjs") == ["jaja", "posta", "😂", "jsjs"]


def english_chat(seed=0):
    """An English chat: the author writes `lol`, `gonna`, `u` and 😂; the others write full sentences."""
    rng = random.Random(seed)
    author = ["lol ok", "gonna be late lol", "u coming? 😂", "omg lol", "ok u win", "gonna sleep 😂", "lol same"]
    other = ["Are you coming tonight?", "I will be there at eight.", "That sounds good to me.",
             "Did you finish the report?", "See you at the station.", "Thanks, that was helpful."]
    turns = [{"author": "Sam" if k % 2 else "Alex", "text": rng.choice(author if k % 2 else other)} for k in range(400)]
    return [{"group": False, "turns": turns[i:i + 8]} for i in range(0, 400, 8)]


def test_markers_are_learned_from_the_author_in_any_language():
    convs = english_chat()
    mine = [t["text"] for c in convs for t in c["turns"] if t["author"] == "Sam"]
    theirs = [t["text"] for c in convs for t in c["turns"] if t["author"] != "Sam"]
    found = [w for w, _ in markers(mine, theirs)]
    assert {"lol", "gonna", "u", "😂"} <= set(found)
    assert not {"the", "you", "at", "i"} & set(found)  # the others' words are not the author's markers
    assert markers(mine, mine) == []  # nothing is distinctive against oneself


def test_fidelity_gives_every_figure_an_interval_over_contexts():
    convs = english_chat()
    samples = [{"real": ["lol ok"], "base": ["I will be there at eight."], "finetuned": ["gonna be late lol"]},
               {"real": ["u coming? 😂"], "base": ["Thanks, that was helpful."], "finetuned": ["omg lol"]}] * 10
    sense = {"real": [1.0, 0.8] * 10, "base": [0.5, 0.3] * 10, "finetuned": [0.5, 0.5] * 10, "shuffled": [0.4, 0.6] * 10}
    result = fidelity(samples, convs, "Sam", "<|msg_sep|>", n_boot=200, sense=sense)
    s = result["summary"]
    assert result["contexts"] == 20 and {"lol", "gonna"} <= {w for w, _ in result["markers"]}
    assert s["real_attributed"] == s["finetuned_attributed"] == 1.0 and s["base_attributed"] == 0.0
    assert s["real_sense"] == pytest.approx(0.9) and s["finetuned_sense"] == pytest.approx(0.5)
    lo, hi = s["real_sense_ci95"]
    assert 0.8 <= lo < 0.9 < hi <= 1.0  # the contexts differ (1.0 and 0.8): a real interval
    assert s["finetuned_sense_ci95"] == [0.5, 0.5]  # every context the same: no spread
    assert s["finetuned_style_gap"] < s["base_style_gap"]
    assert result["finetuned"]["profile"]["marker_rate"] > 0.3 and result["base"]["profile"]["marker_rate"] == 0
    for key in [k for k in s if not k.endswith("_ci95")]:
        lo, hi = s[f"{key}_ci95"]
        assert lo - 1e-9 <= s[key] <= hi + 1e-9, key  # every figure inside its interval, the divergences too


def test_divergences_are_corrected_for_the_sample_size():
    """Two samples of the same words differ by chance: the plug-in JSD is far above 0 (and a resample's higher
    still); the corrected figure sits inside its interval, which reaches down to the truth, 0."""
    rng = random.Random(0)
    vocab = [f"word{i}" for i in range(60)]
    samples = [{v: [" ".join(rng.sample(vocab, 3))] for v in ("real", "base", "finetuned")} for _ in range(30)]
    plug_in = distances([s["real"] for s in samples], [s["base"] for s in samples])["jsd_words"]
    s = fidelity(samples, english_chat(), "Sam", "<|msg_sep|>", n_boot=200)["summary"]
    lo, hi = s["base_jsd_words_ci95"]
    assert lo == 0.0 <= s["base_jsd_words"] <= hi < plug_in
