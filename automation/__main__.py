from automation.interfaces.cli import main

main()
