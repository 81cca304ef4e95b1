"""Data sets and settings shared by the test files.

Every fixture here is defined once: a test file uses these by name and defines
no fixture of the same name. The data are bundled with scikit-learn or
generated, so no test downloads anything.
"""

import pytest
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_iris,
    make_classification,
    make_friedman1,
)
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler


@pytest.fixture(scope="module")
def iris_scaled():
    """Iris, standardised: ``(X, y)``, three classes."""
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def friedman_standardized():
    """400 Friedman #1 rows with noise, ``X`` and ``y`` standardised."""
    X, y = make_friedman1(n_samples=400, noise=0.5, random_state=0)
    return StandardScaler().fit_transform(X), (y - y.mean()) / y.std()


@pytest.fixture(scope="module")
def friedman_raw():
    """300 noiseless Friedman #1 rows, as generated."""
    return make_friedman1(n_samples=300, random_state=0)


@pytest.fixture(scope="module")
def cancer_split():
    """Breast cancer, standardised, split 70/30: ``X_train, X_test, ...``."""
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)


@pytest.fixture(scope="module")
def digits_split():
    """Digits split 70/30, scaled on the training part: ``X_train, X_test, ...``."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


@pytest.fixture(scope="module")
def synthetic_split():
    """A 1,200-row binary problem split 800/400: ``X_train, X_test, ...``."""
    X, y = make_classification(
        n_samples=1200, n_features=10, n_informative=5, random_state=0
    )
    return train_test_split(X, y, test_size=400, random_state=0)


@pytest.fixture(scope="module")
def noisy_300():
    """300 rows, 8 features, 20% of the labels flipped: ``(X, y)``."""
    return make_classification(n_samples=300, n_features=8, flip_y=0.2, random_state=0)


@pytest.fixture(scope="module")
def noisy_600():
    """600 rows, 8 features (4 informative), 20% of the labels flipped."""
    return make_classification(
        n_samples=600, n_features=8, n_informative=4, flip_y=0.2, random_state=0
    )


@pytest.fixture(scope="module")
def single_torch_thread():
    """One torch thread: the networks are tiny, more threads only wait."""
    torch = pytest.importorskip("torch")
    n_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n_threads)
