"""Codecs of the parser nodes: pure functions between text and values, no msg handling.

Each module mirrors the JavaScript library a Node-RED parser node uses, so that FlowRed's
nodes give the values Node-RED gives: ``xml2js`` (xml2js 0.6, for 70-XML.js), ``jsyaml``
(js-yaml 4, for 70-YAML.js), ``csv_text`` (70-CSV.js's parsers and writer) and ``cheerio``
(cheerio's HTML parsing, selecting and writing, for 70-HTML.js). Errors are
raised as exceptions whose text a user reads as it is.
"""
