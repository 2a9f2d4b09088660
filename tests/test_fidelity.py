import math
import random

import pytest

from gemelo.fidelity import Attributor, distances, jensen_shannon, laugh_form, profile, summary, wasserstein
from collections import Counter

REPLIES = [["jajaja", "posta?? 😂"], ["q onda"], ["¿Vamos mañana?", "¡Dale!"], ["Sí."]]


def test_profile_on_hand_made_replies():
    p = profile(REPLIES)
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
    # words: jajaja posta q onda vamos mañana dale sí → q, onda, posta, dale are characteristic spellings
    assert p["spelling_rate"] == pytest.approx(4 / 8)
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


def test_summary_counts_where_the_fine_tuned_model_is_closer():
    real = [["jajaja", "posta"], ["q onda"]]
    result = {"real": {"attributed_to_author": 1.0},
              "base": {"attributed_to_author": 0.0, "distances": distances(real, [["Hola, ¿qué tal?"]])},
              "finetuned": {"attributed_to_author": 0.5, "distances": distances(real, [["jajaja"], ["q onda"]])}}
    s = summary(result)
    assert s["finetuned_attributed"] == 0.5 and s["finetuned_jsd_words"] < s["base_jsd_words"]
    closer, total = map(int, s["finetuned_closer_on"].split("/"))
    assert closer > total / 2
