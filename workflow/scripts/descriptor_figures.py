from ddr.pipeline.runtime import setup

setup(snakemake)

from pathlib import Path  # noqa: E402

from ddr.pipeline.biqa import descriptor_figures as figures  # noqa: E402


params, inputs = snakemake.params, snakemake.input
stems = {fig: Path(stem) for fig, stem in params.stems.items()}  # each figure's files without suffix
if snakemake.rule == "descriptor_figure7":
    figures.figure7(inputs.shards, inputs.ddr, stems["fig7"])
else:
    fig1, fig2 = params.fig1, params.fig2
    figures.figure1(inputs.fig1_pddr, fig1["level"], fig1["images"], stems["fig1"])
    figures.figure2(inputs.fig2_pddr, inputs.fig2_ddr, fig2["kind"], fig2["dist_type"], fig2["heldout_fraction"],
                    fig2["seed"], stems["fig2"], iddr_csv=(inputs.fig2_real or [None])[0], types=fig2["types"])
    figures.figure4(inputs.fig4_ddr, params.fig4["k"], stems["fig4"])
