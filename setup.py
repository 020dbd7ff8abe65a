"""Packaging glue: ship the top-level ``wsdl/`` folder inside the wheel as ``aswbridge/wsdl``.

Data folders inside the package (code lists, schemas) are found as namespace packages so that
setuptools ships them without warnings.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=[
        *find_namespace_packages(include=["aswbridge", "aswbridge.*"], exclude=["*.__pycache__"]),
        "aswbridge.wsdl",
    ],
    package_dir={"aswbridge.wsdl": "wsdl"},
    package_data={
        "": ["py.typed", "*.csv", "*.md", "*.xsd", "*.wsdl", "*.txt"],
        # the official OASIS UBL schemas keep their maindoc/ + common/ layout
        "aswbridge.wsdl": ["ubl-2.4/*.md", "ubl-2.4/*/*.xsd"],
    },
)
