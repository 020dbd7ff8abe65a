"""Packaging glue: the data folders inside the package (code lists, the schemas and WSDL in
``aswbridge/wsdl``) are found as namespace packages, so setuptools ships them without warnings;
the package root is named (the top of the checkout), so an editable install is one ``.pth``
line rather than an import hook setuptools warns about.
"""

from setuptools import find_namespace_packages, setup

setup(
    package_dir={"": "."},
    packages=find_namespace_packages(include=["aswbridge", "aswbridge.*"], exclude=["*.__pycache__"]),
    package_data={
        "": ["py.typed", "*.csv", "*.md", "*.xsd", "*.wsdl", "*.txt"],
        # the official OASIS UBL schemas keep their maindoc/ + common/ layout
        "aswbridge.wsdl": ["ubl-2.4/*.md", "ubl-2.4/*/*.xsd"],
    },
)
