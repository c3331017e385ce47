from ishcd.cli import main

main()
