"""The JSON Schemas of projledger's record formats, shipped inside the wheel as data."""
