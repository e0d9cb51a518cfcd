# restoration stage: rules to be written (see issues).
