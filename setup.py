"""Packaging glue: ship the top-level ``wsdl/`` folder inside the wheel as ``aswbridge/wsdl``."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["aswbridge", "aswbridge.*"]), "aswbridge.wsdl"],
    package_dir={"aswbridge.wsdl": "wsdl"},
    package_data={
        "aswbridge": ["py.typed"],
        "aswbridge.codes": ["data/*.csv", "data/*.md"],
        "aswbridge.wsdl": ["*.xsd", "*.wsdl"],
    },
)
