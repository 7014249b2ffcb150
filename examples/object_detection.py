"""Object detection: a tiny single-stage (SSD-style) detector of shapes on generated images.

Data: images of 32x32 RGB pixels written by Spark tasks (one seeded generator per partition): a noisy
background (a random colour gradient plus pixel noise) and 1 to 3 objects of three classes (filled square,
disc, triangle) with random sizes (9 to 16 pixels, width/height ratio 0.75 to 1.33), positions and colours,
overlapping a little (box IoU up to 0.2; later shapes paint over earlier ones); the program knows every box.
Model: four 3x3 convolutions and two poolings down to an 8x8 feature map, and two 3x3 convolution heads giving, for each of the
8 * 8 * 2 prior boxes (``ember.nn.PriorBox``: sizes 0.3 and 0.45 of the image), four box offsets and four
scores (background + 3 classes). Trained by the DistriOptimizer with ``MultiBoxCriterion`` (matching, SmoothL1
+ cross-entropy, hard-negative mining 3:1); decoded by ``DetectionOutput`` (softmax, per-class
non-maximum suppression); scored by ``MeanAveragePrecision`` (VOC mAP at IoU 0.5) on held-out images.
Baseline, in the same run: the prior-only detector, i.e. the same trained scores with every box left at its
prior (no box regression).

Run: ``python examples/object_detection.py`` (or ``spark-submit --jars <ember.jar> examples/object_detection.py``).
"""
import time

import numpy as np

from ember.nn.criterion import MultiBoxCriterion
from ember.nn.layer import (ConcatTable, DetectionOutput, Identity, ReLU, Reshape, Sequential, SpatialConvolution,
                            SpatialMaxPooling, Transpose)
from ember.optim.optimizer import Adam, EveryEpoch, Loss, MaxEpoch, MeanAveragePrecision, Optimizer
from ember.util.application import application_parser, check_floor, start_spark
from ember.util.common import init_engine

SIZE, MAX_OBJECTS, CLASSES = 32, 3, ("square", "disc", "triangle")
FEATURE_MAP, PRIOR_SIZES, RATIOS = 8, (0.3, 0.45), (1.0,)
PRIORS_PER_CELL = len(PRIOR_SIZES) * len(RATIOS)


def draw_image(rng):
    """(image [3, SIZE, SIZE] float32, objects [MAX_OBJECTS, 5] rows (label, x1, y1, x2, y2) in [0, 1])."""
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32) + 0.5
    a, b = rng.uniform(0, 1, 3), rng.uniform(0, 1, 3)
    direction = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(direction) * xx + np.sin(direction) * yy) / SIZE * 0.5 + 0.5
    image = (a[:, None, None] * (1 - ramp) + b[:, None, None] * ramp) * 0.6
    boxes = []
    for _ in range(rng.randint(1, MAX_OBJECTS + 1)):
        for _attempt in range(20):
            w = rng.uniform(9, 16)
            h = float(np.clip(w * rng.uniform(0.75, 1.33), 9, 16))
            x1, y1 = rng.uniform(0, SIZE - w), rng.uniform(0, SIZE - h)
            box = (x1, y1, x1 + w, y1 + h)
            if all(iou(box, other[1:]) <= 0.2 for other in boxes):
                break
        else:
            continue
        label = rng.randint(len(CLASSES))
        colour = rng.uniform(0, 1, 3)
        while np.abs(colour - image[:, int(y1 + h / 2), int(x1 + w / 2)]).max() < 0.35:
            colour = rng.uniform(0, 1, 3)  # keep the shape visible against its background
        u, v = (xx - x1) / w, (yy - y1) / h  # coordinates inside the box, 0..1
        if label == 0:
            mask = (u >= 0) & (u <= 1) & (v >= 0) & (v <= 1)
        elif label == 1:
            mask = (u - 0.5) ** 2 + (v - 0.5) ** 2 <= 0.25
        else:  # apex at the top centre, base along the bottom
            mask = (v >= 0) & (v <= 1) & (np.abs(u - 0.5) <= v / 2)
        image[:, mask] = colour[:, None]
        boxes.append((label, *box))
    image = image + rng.normal(0, 0.08, image.shape)
    objects = np.full((MAX_OBJECTS, 5), -1, dtype=np.float32)
    for i, (label, x1, y1, x2, y2) in enumerate(boxes):
        objects[i] = (label, x1 / SIZE, y1 / SIZE, x2 / SIZE, y2 / SIZE)
    return ((image - 0.5) / 0.3).astype(np.float32), objects


def iou(a, b):
    iw, ih = min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def generate(sc, n, seed, parts):
    """An RDD of (image, objects) pairs: partition p draws its share with its own seeded generator."""
    per_part = -(-n // parts)

    def draw(p, _):
        rng = np.random.RandomState(seed * 104729 + p)
        return [draw_image(rng) for _ in range(per_part)]

    return sc.parallelize(range(parts), parts).mapPartitionsWithIndex(draw)


def detector_head(channels, outputs):
    """A 3x3 convolution to PRIORS_PER_CELL * outputs channels, reordered to [batch, priors, outputs]."""
    return (Sequential()
            .add(SpatialConvolution(channels, PRIORS_PER_CELL * outputs, 3, 3, 1, 1, 1, 1))
            .add(Transpose([(1, 2), (2, 3)]))  # [N, C, H, W] -> [N, H, W, C]: priors in row, column, prior order
            .add(Reshape([FEATURE_MAP * FEATURE_MAP * PRIORS_PER_CELL, outputs])))


def tiny_ssd():
    """Input (N, 3, 32, 32); output [locations (N, 128, 4), scores (N, 128, 4)]."""
    trunk = Sequential()
    for c_in, c_out in ((3, 8), (8, 16)):
        trunk.add(SpatialConvolution(c_in, c_out, 3, 3, 1, 1, 1, 1)).add(ReLU()).add(SpatialMaxPooling(2, 2, 2, 2))
    for c_in, c_out in ((16, 32), (32, 32)):
        trunk.add(SpatialConvolution(c_in, c_out, 3, 3, 1, 1, 1, 1)).add(ReLU())
    return trunk.add(ConcatTable().add(detector_head(32, 4)).add(detector_head(32, len(CLASSES) + 1)))


def prior_layout():
    return [FEATURE_MAP], list(PRIOR_SIZES), list(RATIOS)


def run(args, sc=None):
    """Generates, trains, detects and returns the figures as a dict."""
    sc = sc or start_spark(args.master)
    init_engine(seed=args.seed)
    parts = sc.defaultParallelism
    start = time.time()
    train = generate(sc, args.train, args.seed, parts).cache()
    held_out = generate(sc, args.test, args.seed + 1, parts).cache()
    print(f"generated {train.count()} training and {held_out.count()} held-out images with Spark "
          f"in {time.time() - start:.1f} s")
    model = tiny_ssd()
    criterion = MultiBoxCriterion(*prior_layout(), num_classes=len(CLASSES))
    optimizer = Optimizer(model=model, training_rdd=train, criterion=criterion,
                          optim_method=Adam(learningrate=args.learning_rate), end_trigger=MaxEpoch(args.epochs),
                          batch_size=args.batch_size)
    optimizer.set_validation(batch_size=128, val_rdd=held_out, trigger=EveryEpoch(), val_method=[Loss(criterion)])
    start = time.time()
    optimizer.optimize(progress=args.progress)
    seconds = time.time() - start

    detect = DetectionOutput(*prior_layout(), num_classes=len(CLASSES), conf_threshold=0.05)
    m_ap = MeanAveragePrecision(len(CLASSES), 0.5)
    detector = Sequential().add(model).add(detect)
    trained = detector.evaluate(held_out, 128, [m_ap])[0].result  # on the executors
    # the prior-only baseline: the trained scores, every box left at its prior
    images = np.stack(held_out.map(lambda t: t[0]).collect())
    objects = np.stack(held_out.map(lambda t: t[1]).collect())
    model.evaluate()
    locations, scores = model.forward(images)
    prior_only = detect.forward([np.zeros_like(locations), scores])
    baseline = Identity().evaluate(prior_only, objects, 128, [m_ap])[0].result
    print(f"trained {args.epochs} epochs on {args.train} images in {seconds:.1f} s")
    print(f"mAP@0.5 on {len(images)} held-out images: detector {trained:.4f}, baseline prior-only {baseline:.4f}")
    return {"map": trained, "baseline": baseline, "seconds": seconds}


def parser():
    p = application_parser(__doc__, epochs=10, batch_size=32, learning_rate=3e-3)
    p.add_argument("--train", type=int, default=6000, help="training images")
    p.add_argument("--test", type=int, default=500, help="held-out images")
    p.add_argument("--min-map", type=float, default=0.8, help="exit with an error below this")
    return p


def main():
    args = parser().parse_args()
    result = run(args)
    check_floor("mAP@0.5", result["map"], args.min_map, result["baseline"])


if __name__ == "__main__":
    main()
