from ddr.pipeline.runtime import setup

setup(snakemake)

from pathlib import Path  # noqa: E402

from ddr.pipeline.biqa import descriptor_figures as figures  # noqa: E402


def stem(files):
    return Path(files[0]).with_suffix("")  # the PNG comes first


params, inputs, outputs = snakemake.params, snakemake.input, snakemake.output
if snakemake.rule == "descriptor_figure7":
    figures.figure7(inputs.shards, inputs.ddr, stem(outputs))
else:
    fig1, fig2 = params.fig1, params.fig2
    figures.figure1(inputs.fig1_pddr, fig1["level"], fig1["images"], stem(outputs.fig1))
    figures.figure2(inputs.fig2_pddr, inputs.fig2_ddr, fig2["kind"], fig2["dist_type"], fig2["heldout_fraction"],
                    fig2["seed"], stem(outputs.fig2), iddr_csv=(inputs.fig2_real or [None])[0], types=fig2["types"])
    figures.figure4(inputs.fig4_ddr, params.fig4["k"], stem(outputs.fig4))
