"""Tools for assignment authors, apart from the grading pipeline: submissions built from
the reference (`variants`), the demo's simulated class (`demo`), mutation testing
(`mutants`, `mutate`) and the benchmarks (`bench`, `bench_slurm`)."""
