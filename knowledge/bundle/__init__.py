"""Knowledge bundles: schema, build from Excel, lint, sign, safe unzip, import, versions, USB watch."""
