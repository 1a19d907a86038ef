"""Country packs: a country's data as a Frictionless Data Package (docs/packs.md).

`reader.load_pack(name_or_path)` reads and checks one; `format` declares the resources and
their Table Schemas; `validate` adds the Frictionless validator; `template` writes a new pack;
`commands` holds the `tolqyn pack` sub-commands. Packaged packs live in sub-folders here
(kazakhstan/, built by tolqyn.data.build_kazakhstan_pack)."""
