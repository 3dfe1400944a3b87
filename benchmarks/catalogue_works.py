# ruff: noqa: E501 - one author per line reads better than wrapped title lists
"""Real public-domain works (author died before 1956) for the demo library catalogue.

One line per author and subject: ``author | language | subject | title; title; ...``.
Written by hand from the authors' bibliographies; ``make_catalogues.py`` turns them
into menus/data/library_catalogue.csv.
"""

WORKS = """
Charles Dickens|en|novel|Oliver Twist; David Copperfield; Great Expectations; Bleak House; Hard Times; Little Dorrit; Our Mutual Friend; Dombey and Son; Nicholas Nickleby; The Pickwick Papers; Martin Chuzzlewit; Barnaby Rudge; The Old Curiosity Shop; A Tale of Two Cities; The Mystery of Edwin Drood
Charles Dickens|en|short stories|A Christmas Carol; The Chimes; The Cricket on the Hearth
Jane Austen|en|romance|Pride and Prejudice; Sense and Sensibility; Emma; Mansfield Park; Northanger Abbey; Persuasion; Lady Susan
Mark Twain|en|adventure|The Adventures of Tom Sawyer; Adventures of Huckleberry Finn; The Prince and the Pauper; A Connecticut Yankee in King Arthur's Court; Tom Sawyer Abroad; Tom Sawyer, Detective
Mark Twain|en|satire|The Innocents Abroad; Roughing It; Life on the Mississippi; A Tramp Abroad; Pudd'nhead Wilson; The Gilded Age; The Mysterious Stranger
Arthur Conan Doyle|en|mystery|A Study in Scarlet; The Sign of the Four; The Adventures of Sherlock Holmes; The Memoirs of Sherlock Holmes; The Hound of the Baskervilles; The Return of Sherlock Holmes; The Valley of Fear; His Last Bow
Arthur Conan Doyle|en|adventure|The Lost World; The White Company; Micah Clarke
H. G. Wells|en|science fiction|The Time Machine; The Island of Doctor Moreau; The Invisible Man; The War of the Worlds; The First Men in the Moon; The Food of the Gods; In the Days of the Comet; The War in the Air; The Sleeper Awakes
H. G. Wells|en|novel|Kipps; Tono-Bungay; The History of Mr Polly; Ann Veronica
Robert Louis Stevenson|en|adventure|Treasure Island; Kidnapped; Catriona; The Black Arrow; The Master of Ballantrae; The Wrecker
Robert Louis Stevenson|en|gothic|Strange Case of Dr Jekyll and Mr Hyde; The Body Snatcher; Olalla
Robert Louis Stevenson|en|poetry|A Child's Garden of Verses
Oscar Wilde|en|novel|The Picture of Dorian Gray
Oscar Wilde|en|drama|The Importance of Being Earnest; An Ideal Husband; Lady Windermere's Fan; A Woman of No Importance; Salome
Oscar Wilde|en|fairy tales|The Happy Prince and Other Tales; A House of Pomegranates; The Canterville Ghost
Thomas Hardy|en|novel|Far from the Madding Crowd; The Return of the Native; The Mayor of Casterbridge; Tess of the d'Urbervilles; Jude the Obscure; The Woodlanders; Under the Greenwood Tree; A Pair of Blue Eyes; The Trumpet-Major; Two on a Tower
George Eliot|en|novel|Middlemarch; The Mill on the Floss; Silas Marner; Adam Bede; Daniel Deronda; Romola; Felix Holt, the Radical
Charlotte Brontë|en|novel|Jane Eyre; Villette; Shirley; The Professor
Emily Brontë|en|novel|Wuthering Heights
Anne Brontë|en|novel|Agnes Grey; The Tenant of Wildfell Hall
Anthony Trollope|en|novel|The Warden; Barchester Towers; Doctor Thorne; Framley Parsonage; The Small House at Allington; The Last Chronicle of Barset; Can You Forgive Her?; Phineas Finn; The Way We Live Now; He Knew He Was Right
Rudyard Kipling|en|children|The Jungle Book; The Second Jungle Book; Just So Stories; Puck of Pook's Hill; Rewards and Fairies
Rudyard Kipling|en|adventure|Kim; Captains Courageous; The Light that Failed; The Man Who Would Be King
Herman Melville|en|adventure|Moby-Dick; Typee; Omoo; White-Jacket; Redburn
Herman Melville|en|short stories|Bartleby, the Scrivener; Billy Budd; Benito Cereno
Nathaniel Hawthorne|en|novel|The Scarlet Letter; The House of the Seven Gables; The Blithedale Romance; The Marble Faun
Nathaniel Hawthorne|en|short stories|Twice-Told Tales; Mosses from an Old Manse
Edgar Allan Poe|en|gothic|The Fall of the House of Usher; The Masque of the Red Death; The Tell-Tale Heart; The Pit and the Pendulum; The Black Cat; The Cask of Amontillado; The Narrative of Arthur Gordon Pym
Edgar Allan Poe|en|mystery|The Murders in the Rue Morgue; The Purloined Letter; The Gold-Bug; The Mystery of Marie Rogêt
Edgar Allan Poe|en|poetry|The Raven and Other Poems
Jack London|en|adventure|The Call of the Wild; White Fang; The Sea-Wolf; Martin Eden; The Iron Heel; Burning Daylight; Smoke Bellew; The Star Rover; Before Adam
Henry James|en|novel|The Portrait of a Lady; Washington Square; The Bostonians; The Wings of the Dove; The Ambassadors; The Golden Bowl; Daisy Miller; What Maisie Knew
Henry James|en|gothic|The Turn of the Screw
Edith Wharton|en|novel|The House of Mirth; The Age of Innocence; Ethan Frome; The Custom of the Country; Summer; The Reef
Joseph Conrad|en|novel|Heart of Darkness; Lord Jim; Nostromo; The Secret Agent; Under Western Eyes; Typhoon; Victory; Chance; The Nigger of the Narcissus; Almayer's Folly
Walter Scott|en|history|Ivanhoe; Waverley; Rob Roy; The Heart of Midlothian; The Bride of Lammermoor; Kenilworth; Quentin Durward; Old Mortality; Guy Mannering; The Talisman
Daniel Defoe|en|adventure|Robinson Crusoe; Moll Flanders; Roxana; A Journal of the Plague Year; Captain Singleton
Jonathan Swift|en|satire|Gulliver's Travels; A Modest Proposal; A Tale of a Tub
Henry Fielding|en|novel|Tom Jones; Joseph Andrews; Amelia
Laurence Sterne|en|novel|Tristram Shandy; A Sentimental Journey
William Makepeace Thackeray|en|novel|Vanity Fair; The History of Henry Esmond; Barry Lyndon; Pendennis; The Newcomes
Elizabeth Gaskell|en|novel|North and South; Cranford; Mary Barton; Wives and Daughters; Ruth; Sylvia's Lovers
Wilkie Collins|en|mystery|The Woman in White; The Moonstone; Armadale; No Name; The Law and the Lady; The Dead Secret
Lewis Carroll|en|children|Alice's Adventures in Wonderland; Through the Looking-Glass; The Hunting of the Snark; Sylvie and Bruno
Kenneth Grahame|en|children|The Wind in the Willows; The Reluctant Dragon
Frances Hodgson Burnett|en|children|The Secret Garden; A Little Princess; Little Lord Fauntleroy
Louisa May Alcott|en|children|Little Women; Good Wives; Little Men; Jo's Boys; An Old-Fashioned Girl; Eight Cousins
L. Frank Baum|en|children|The Wonderful Wizard of Oz; The Marvelous Land of Oz; Ozma of Oz; Dorothy and the Wizard in Oz; The Road to Oz; The Emerald City of Oz
Lucy Maud Montgomery|en|children|Anne of Green Gables; Anne of Avonlea; Anne of the Island; Anne's House of Dreams; Rilla of Ingleside; The Story Girl
J. M. Barrie|en|children|Peter Pan; Peter and Wendy; The Little White Bird
William Shakespeare|en|drama|Hamlet; Macbeth; Othello; King Lear; Romeo and Juliet; A Midsummer Night's Dream; The Tempest; Twelfth Night; Much Ado About Nothing; As You Like It; The Merchant of Venice; Julius Caesar; Antony and Cleopatra; Richard III; Henry V; The Taming of the Shrew; The Winter's Tale; Measure for Measure; Coriolanus; Titus Andronicus; The Comedy of Errors; Love's Labour's Lost; Richard II; Henry IV, Part 1; Cymbeline; Pericles
William Shakespeare|en|poetry|The Sonnets; Venus and Adonis; The Rape of Lucrece
Mary Shelley|en|gothic|Frankenstein; The Last Man; Mathilda
Bram Stoker|en|gothic|Dracula; The Jewel of Seven Stars; The Lair of the White Worm
Jerome K. Jerome|en|satire|Three Men in a Boat; Three Men on the Bummel; Idle Thoughts of an Idle Fellow
Anna Sewell|en|children|Black Beauty
Harriet Beecher Stowe|en|novel|Uncle Tom's Cabin
Stephen Crane|en|novel|The Red Badge of Courage; Maggie: A Girl of the Streets
Kate Chopin|en|novel|The Awakening
Willa Cather|en|novel|O Pioneers!; My Ántonia; The Song of the Lark
G. K. Chesterton|en|mystery|The Innocence of Father Brown; The Wisdom of Father Brown; The Man Who Was Thursday; The Napoleon of Notting Hill
John Buchan|en|adventure|The Thirty-Nine Steps; Greenmantle; Mr Standfast
Anthony Hope|en|adventure|The Prisoner of Zenda; Rupert of Hentzau
H. Rider Haggard|en|adventure|King Solomon's Mines; She; Allan Quatermain
Baroness Orczy|en|adventure|The Scarlet Pimpernel; Eldorado
Jules Verne|fr|science fiction|Vingt mille lieues sous les mers; De la Terre à la Lune; Autour de la Lune; Voyage au centre de la Terre; Cinq semaines en ballon; Robur le Conquérant; Paris au XXe siècle; Le Rayon vert
Jules Verne|fr|adventure|Le Tour du monde en quatre-vingts jours; L'Île mystérieuse; Michel Strogoff; Les Enfants du capitaine Grant; Un capitaine de quinze ans; Les Aventures du capitaine Hatteras; Le Château des Carpathes; Mathias Sandorf; Deux ans de vacances; Kéraban-le-Têtu; Le Phare du bout du monde; Nord contre Sud; L'École des Robinsons; Le Sphinx des glaces; César Cascabel
Victor Hugo|fr|novel|Les Misérables; Notre-Dame de Paris; Les Travailleurs de la mer; L'Homme qui rit; Quatrevingt-treize; Le Dernier Jour d'un condamné; Claude Gueux; Bug-Jargal; Han d'Islande
Victor Hugo|fr|poetry|Les Contemplations; La Légende des siècles; Les Châtiments; Les Orientales; Les Feuilles d'automne; L'Art d'être grand-père
Victor Hugo|fr|drama|Hernani; Ruy Blas; Cromwell; Le roi s'amuse; Lucrèce Borgia
Alexandre Dumas|fr|adventure|Les Trois Mousquetaires; Vingt ans après; Le Vicomte de Bragelonne; Le Comte de Monte-Cristo; La Reine Margot; La Dame de Monsoreau; Les Quarante-Cinq; Le Chevalier de Maison-Rouge; Joseph Balsamo; Le Collier de la reine; La Tulipe noire; Georges
Gustave Flaubert|fr|novel|Madame Bovary; L'Éducation sentimentale; Salammbô; Bouvard et Pécuchet; La Tentation de saint Antoine
Gustave Flaubert|fr|short stories|Trois Contes; Un cœur simple
Honoré de Balzac|fr|novel|Le Père Goriot; Eugénie Grandet; Illusions perdues; La Cousine Bette; Le Cousin Pons; César Birotteau; Le Colonel Chabert; La Peau de chagrin; Le Lys dans la vallée; Splendeurs et misères des courtisanes; Ursule Mirouët; La Recherche de l'absolu; Louis Lambert; Béatrix; Le Médecin de campagne; Les Chouans; La Femme de trente ans; Gobseck; Le Chef-d'œuvre inconnu; La Duchesse de Langeais
Émile Zola|fr|novel|L'Assommoir; Germinal; Nana; La Bête humaine; Au Bonheur des Dames; Thérèse Raquin; La Curée; La Fortune des Rougon; Le Ventre de Paris; La Conquête de Plassans; La Faute de l'abbé Mouret; Son Excellence Eugène Rougon; Une page d'amour; Pot-Bouille; La Joie de vivre; L'Œuvre; La Terre; Le Rêve; L'Argent; La Débâcle; Le Docteur Pascal
Guy de Maupassant|fr|novel|Bel-Ami; Une vie; Pierre et Jean; Mont-Oriol; Fort comme la mort; Notre cœur
Guy de Maupassant|fr|short stories|Boule de suif; Le Horla; Contes de la bécasse; Les Contes du jour et de la nuit; La Maison Tellier; Mademoiselle Fifi; Toine; Le Rosier de Madame Husson
Stendhal|fr|novel|Le Rouge et le Noir; La Chartreuse de Parme; Lucien Leuwen; Armance; Lamiel
Molière|fr|drama|Le Misanthrope; Tartuffe; L'Avare; Le Bourgeois gentilhomme; Le Malade imaginaire; Les Femmes savantes; Dom Juan; L'École des femmes; Les Précieuses ridicules; Les Fourberies de Scapin; Le Médecin malgré lui; George Dandin; Amphitryon; L'École des maris; Sganarelle
Jean Racine|fr|drama|Phèdre; Andromaque; Britannicus; Bérénice; Iphigénie; Bajazet; Mithridate; Athalie; Esther; Les Plaideurs
Pierre Corneille|fr|drama|Le Cid; Horace; Cinna; Polyeucte; L'Illusion comique; Le Menteur; Rodogune; Nicomède
Voltaire|fr|philosophy|Candide; Zadig; Micromégas; L'Ingénu; Lettres philosophiques; Traité sur la tolérance; Dictionnaire philosophique
Jean-Jacques Rousseau|fr|philosophy|Du contrat social; Émile, ou De l'éducation; Julie ou la Nouvelle Héloïse; Les Confessions; Les Rêveries du promeneur solitaire; Discours sur l'origine de l'inégalité
Denis Diderot|fr|philosophy|Jacques le fataliste; La Religieuse; Le Neveu de Rameau; Lettre sur les aveugles
Choderlos de Laclos|fr|novel|Les Liaisons dangereuses
Abbé Prévost|fr|novel|Manon Lescaut
Madame de La Fayette|fr|novel|La Princesse de Clèves
Jean de La Fontaine|fr|poetry|Fables; Contes et nouvelles en vers
Charles Perrault|fr|fairy tales|Contes de ma mère l'Oye; Le Petit Chaperon rouge; Cendrillon; La Belle au bois dormant; Le Chat botté; Barbe bleue; Le Petit Poucet
George Sand|fr|novel|La Mare au diable; La Petite Fadette; François le Champi; Indiana; Consuelo; Lélia; Mauprat; Les Maîtres sonneurs
Alfred de Musset|fr|drama|Lorenzaccio; On ne badine pas avec l'amour; Les Caprices de Marianne; Il ne faut jurer de rien
Alfred de Musset|fr|novel|La Confession d'un enfant du siècle
Alphonse Daudet|fr|short stories|Lettres de mon moulin; Contes du lundi; Le Petit Chose; Tartarin de Tarascon; Tartarin sur les Alpes; Port-Tarascon; L'Arlésienne
Prosper Mérimée|fr|short stories|Carmen; Colomba; Mateo Falcone; La Vénus d'Ille; Chronique du règne de Charles IX
Gérard de Nerval|fr|short stories|Les Filles du feu; Aurélia; Sylvie
Charles Baudelaire|fr|poetry|Les Fleurs du mal; Le Spleen de Paris; Les Paradis artificiels
Arthur Rimbaud|fr|poetry|Une saison en enfer; Illuminations; Le Bateau ivre
Paul Verlaine|fr|poetry|Poèmes saturniens; Fêtes galantes; Romances sans paroles; Sagesse; Jadis et naguère
Gaston Leroux|fr|mystery|Le Mystère de la chambre jaune; Le Parfum de la dame en noir; Le Fantôme de l'Opéra; Chéri-Bibi
Maurice Leblanc|fr|mystery|Arsène Lupin, gentleman cambrioleur; Arsène Lupin contre Herlock Sholmès; L'Aiguille creuse; 813; Le Bouchon de cristal; Les Confidences d'Arsène Lupin; L'Éclat d'obus; Le Triangle d'or; L'Île aux trente cercueils; Les Dents du tigre
Edmond Rostand|fr|drama|Cyrano de Bergerac; L'Aiglon; Chantecler; Les Romanesques
Anatole France|fr|novel|Le Crime de Sylvestre Bonnard; Thaïs; Le Lys rouge; L'Île des pingouins; Les dieux ont soif; La Révolte des anges
Pierre Loti|fr|novel|Pêcheur d'Islande; Ramuntcho; Aziyadé; Madame Chrysanthème; Le Roman d'un spahi
Joris-Karl Huysmans|fr|novel|À rebours; Là-bas; En route; La Cathédrale
Alain-Fournier|fr|novel|Le Grand Meaulnes
Marcel Proust|fr|novel|Du côté de chez Swann; À l'ombre des jeunes filles en fleurs; Le Côté de Guermantes; Sodome et Gomorrhe; La Prisonnière; Albertine disparue; Le Temps retrouvé
Comtesse de Ségur|fr|children|Les Malheurs de Sophie; Les Petites Filles modèles; Les Vacances; Mémoires d'un âne; Le Général Dourakine; Un bon petit diable
Hector Malot|fr|children|Sans famille; En famille; Romain Kalbris
Mihai Eminescu|ro|poetry|Luceafărul; Scrisoarea I; Scrisoarea III; Glossă; Odă în metru antic; Mai am un singur dor; Floare albastră; Dorința; Lacul; Somnoroase păsărele; Sara pe deal; Epigonii; Împărat și proletar; Rugăciunea unui dac; La steaua; Revedere; Ce te legeni; Mortua est; Călin, file din poveste; Povestea teiului
Mihai Eminescu|ro|short stories|Sărmanul Dionis; Făt-Frumos din lacrimă; Cezara; Geniu pustiu
Ion Creangă|ro|memoir|Amintiri din copilărie
Ion Creangă|ro|fairy tales|Povestea lui Harap-Alb; Capra cu trei iezi; Punguța cu doi bani; Fata babei și fata moșneagului; Ivan Turbincă; Soacra cu trei nurori; Dănilă Prepeleac; Povestea porcului; Povestea lui Stan Pățitul; Prostia omenească; Povestea unui om leneș; Moș Nichifor Coțcariul; Ursul păcălit de vulpe; Cinci pâini
Ion Luca Caragiale|ro|drama|O scrisoare pierdută; O noapte furtunoasă; Conu Leonida față cu reacțiunea; D-ale carnavalului; Năpasta
Ion Luca Caragiale|ro|short stories|Momente și schițe; La hanul lui Mânjoală; Kir Ianulea; Două loturi; Căldură mare; D-l Goe; Vizită; Bubico; Telegrame; Five o'clock; Dascăl prost; Cănuță, om sucit; Abu-Hasan; Calul dracului; Pastramă trufanda
Ion Slavici|ro|short stories|Moara cu noroc; Pădureanca; Budulea Taichii; Popa Tanda; Comoara; Scormon; Gura satului
Ion Slavici|ro|novel|Mara; Din două lumi
Liviu Rebreanu|ro|novel|Ion; Pădurea spânzuraților; Răscoala; Ciuleandra; Adam și Eva; Crăișorul; Jar; Gorila; Amândoi
George Coșbuc|ro|poetry|Nunta Zamfirei; Moartea lui Fulger; El-Zorab; Noi vrem pământ; Balade și idile; Fire de tort; Iarna pe uliță; Mama; Pașa Hassan; Doina
Vasile Alecsandri|ro|poetry|Pasteluri; Doine și lăcrămioare; Legende; Ostașii noștri; Peneș Curcanul; Sergentul
Vasile Alecsandri|ro|drama|Chirița în provincie; Chirița în Iași; Fântâna Blanduziei; Despot-Vodă; Ovidiu; Iorgu de la Sadagura
Costache Negruzzi|ro|history|Alexandru Lăpușneanul; Sobieski și românii; Zoe
Nicolae Filimon|ro|novel|Ciocoii vechi și noi
Alexandru Odobescu|ro|short stories|Pseudo-kynegetikos; Mihnea Vodă cel Rău; Doamna Chiajna
Bogdan Petriceicu Hasdeu|ro|drama|Răzvan și Vidra
Bogdan Petriceicu Hasdeu|ro|novel|Ursita
Barbu Ștefănescu Delavrancea|ro|drama|Apus de soare; Viforul; Luceafărul
Barbu Ștefănescu Delavrancea|ro|short stories|Hagi-Tudose; Bunicul; Bunica; Domnul Vucea; Sultănica; Paraziții
Alexandru Vlahuță|ro|history|România pitorească; Dan; Din trecutul nostru
Alexandru Macedonski|ro|poetry|Noaptea de decemvrie; Rondelurile; Excelsior; Flori sacre
Alexandru Macedonski|ro|novel|Thalassa
Duiliu Zamfirescu|ro|novel|Viața la țară; Tănase Scatiu; În război; Îndreptări; Anna
Petre Ispirescu|ro|fairy tales|Legende sau basmele românilor; Tinerețe fără bătrânețe și viață fără de moarte; Prâslea cel voinic și merele de aur; Greuceanu; Aleodor împărat; Zâna munților; Fata de împărat și pescarul; Porcul cel fermecat; Sarea în bucate; Lupul cel năzdrăvan și Făt-Frumos
Octavian Goga|ro|poetry|Poezii; Ne cheamă pământul; Din umbra zidurilor; Cântece fără țară
George Topârceanu|ro|poetry|Balade vesele și triste; Parodii originale; Migdale amare
Panait Istrati|ro|novel|Chira Chiralina; Ciulinii Bărăganului; Mihail; Codin; Neranțula
Grigore Alexandrescu|ro|poetry|Fabule; Umbra lui Mircea. La Cozia; Anul 1840; Câinele și cățelul
Ion Heliade Rădulescu|ro|poetry|Zburătorul
Dimitrie Bolintineanu|ro|poetry|Legende istorice; Muma lui Ștefan cel Mare
Calistrat Hogaș|ro|memoir|Pe drumuri de munte; Amintiri dintr-o călătorie
Nicolae Iorga|ro|history|Istoria românilor; Istoria literaturii românești; Oameni care au fost
Anton Pann|ro|poetry|Povestea vorbii; Fabule și istorioare
Ion Budai-Deleanu|ro|satire|Țiganiada
Dimitrie Cantemir|ro|history|Descrierea Moldovei; Istoria ieroglifică; Hronicul vechimei a romano-moldo-vlahilor
Ion Neculce|ro|history|Letopisețul Țării Moldovei; O samă de cuvinte
Miron Costin|ro|history|Letopisețul Țării Moldovei de la Aron Vodă încoace
Emil Gârleanu|ro|short stories|Din lumea celor care nu cuvântă; Bătrânii; Cea dintâi durere
"""

# Titles the best-known works go by in the catalogue's other languages (a caller asks for
# "The Three Musketeers" or "Insula comorii"), as a library records uniform titles.
# ``original title | other titles, separated by ;``.
OTHER_TITLES = """
Oliver Twist|Oliver Twist
Great Expectations|Les Grandes Espérances; Marile speranțe
A Christmas Carol|Un chant de Noël; Conte de Noël; Colind de Crăciun
A Tale of Two Cities|Le Conte de deux cités; Poveste despre două orașe
David Copperfield|David Copperfield
Pride and Prejudice|Orgueil et Préjugés; Mândrie și prejudecată
Sense and Sensibility|Raison et Sentiments; Rațiune și simțire
Emma|Emma
The Adventures of Tom Sawyer|Les Aventures de Tom Sawyer; Aventurile lui Tom Sawyer
Adventures of Huckleberry Finn|Les Aventures de Huckleberry Finn; Aventurile lui Huckleberry Finn
The Prince and the Pauper|Le Prince et le Pauvre; Prinț și cerșetor
The Hound of the Baskervilles|Le Chien des Baskerville; Câinele din Baskerville
A Study in Scarlet|Une étude en rouge; Un studiu în roșu
The Sign of the Four|Le Signe des quatre; Semnul celor patru
The Adventures of Sherlock Holmes|Les Aventures de Sherlock Holmes; Aventurile lui Sherlock Holmes
The Lost World|Le Monde perdu; Lumea dispărută
The Time Machine|La Machine à explorer le temps; Mașina timpului
The Invisible Man|L'Homme invisible; Omul invizibil
The War of the Worlds|La Guerre des mondes; Războiul lumilor
The Island of Doctor Moreau|L'Île du docteur Moreau; Insula doctorului Moreau
Treasure Island|L'Île au trésor; Comoara din insulă; Insula comorii
Kidnapped|Enlevé !; Răpit
Strange Case of Dr Jekyll and Mr Hyde|L'Étrange Cas du docteur Jekyll et de M. Hyde; Ciudatul caz al doctorului Jekyll și al domnului Hyde
The Picture of Dorian Gray|Le Portrait de Dorian Gray; Portretul lui Dorian Gray
The Importance of Being Earnest|De l'importance d'être constant; Ce înseamnă să fii onest
The Canterville Ghost|Le Fantôme de Canterville; Fantoma de la Canterville
The Happy Prince and Other Tales|Le Prince heureux; Prințul fericit
Tess of the d'Urbervilles|Tess d'Urberville; Tess d'Urberville
Jane Eyre|Jane Eyre
Wuthering Heights|Les Hauts de Hurlevent; La răscruce de vânturi
The Jungle Book|Le Livre de la jungle; Cartea junglei
Just So Stories|Histoires comme ça; Povești just așa
Moby-Dick|Moby Dick; Moby Dick
The Scarlet Letter|La Lettre écarlate; Litera stacojie
The Fall of the House of Usher|La Chute de la maison Usher; Prăbușirea casei Usher
The Raven and Other Poems|Le Corbeau; Corbul
The Murders in the Rue Morgue|Double Assassinat dans la rue Morgue; Crimele din Rue Morgue
The Gold-Bug|Le Scarabée d'or; Cărăbușul de aur
The Call of the Wild|L'Appel de la forêt; Chemarea străbunilor
White Fang|Croc-Blanc; Colț Alb
Martin Eden|Martin Eden
The Sea-Wolf|Le Loup des mers; Lupul de mare
The Turn of the Screw|Le Tour d'écrou; Să nu te uiți înapoi
Heart of Darkness|Au cœur des ténèbres; Inima întunericului
Lord Jim|Lord Jim
Ivanhoe|Ivanhoé; Ivanhoe
Robinson Crusoe|Robinson Crusoé; Robinson Crusoe
Gulliver's Travels|Les Voyages de Gulliver; Călătoriile lui Gulliver
Vanity Fair|La Foire aux vanités; Bâlciul deșertăciunilor
Alice's Adventures in Wonderland|Alice au pays des merveilles; Alice în Țara Minunilor
Through the Looking-Glass|De l'autre côté du miroir; Alice în Țara Oglinzilor
The Wind in the Willows|Le Vent dans les saules; Vântul prin sălcii
The Secret Garden|Le Jardin secret; Grădina secretă
A Little Princess|La Petite Princesse; Prințesa cea mică
Little Women|Les Quatre Filles du docteur March; Micile doamne
The Wonderful Wizard of Oz|Le Magicien d'Oz; Vrăjitorul din Oz
Anne of Green Gables|Anne… la maison aux pignons verts; Anne de la Green Gables
Peter Pan|Peter Pan
Hamlet|Hamlet
Romeo and Juliet|Roméo et Juliette; Romeo și Julieta
A Midsummer Night's Dream|Le Songe d'une nuit d'été; Visul unei nopți de vară
The Tempest|La Tempête; Furtuna
The Merchant of Venice|Le Marchand de Venise; Neguțătorul din Veneția
The Taming of the Shrew|La Mégère apprivoisée; Îmblânzirea scorpiei
King Lear|Le Roi Lear; Regele Lear
Frankenstein|Frankenstein
Dracula|Dracula
Three Men in a Boat|Trois Hommes dans un bateau; Trei într-o barcă
Black Beauty|Prince Noir; Frumosul Negru
Uncle Tom's Cabin|La Case de l'oncle Tom; Coliba unchiului Tom
King Solomon's Mines|Les Mines du roi Salomon; Minele regelui Solomon
The Scarlet Pimpernel|Le Mouron rouge; Floarea roșie
The Thirty-Nine Steps|Les Trente-Neuf Marches; Cei 39 de pași
Vingt mille lieues sous les mers|Twenty Thousand Leagues Under the Sea; Douăzeci de mii de leghe sub mări
De la Terre à la Lune|From the Earth to the Moon; De la Pământ la Lună
Voyage au centre de la Terre|Journey to the Centre of the Earth; O călătorie spre centrul Pământului
Cinq semaines en ballon|Five Weeks in a Balloon; Cinci săptămâni în balon
Le Tour du monde en quatre-vingts jours|Around the World in Eighty Days; Ocolul Pământului în optzeci de zile
L'Île mystérieuse|The Mysterious Island; Insula misterioasă
Michel Strogoff|Michael Strogoff; Mihail Strogoff
Les Enfants du capitaine Grant|In Search of the Castaways; Copiii căpitanului Grant
Un capitaine de quinze ans|Dick Sand, A Captain at Fifteen; Căpitan la cincisprezece ani
Deux ans de vacances|Two Years' Vacation; Doi ani de vacanță
Le Château des Carpathes|The Castle of the Carpathians; Castelul din Carpați
Les Misérables|Les Misérables; Mizerabilii
Notre-Dame de Paris|The Hunchback of Notre-Dame; Cocoșatul de la Notre-Dame
L'Homme qui rit|The Man Who Laughs; Omul care râde
Quatrevingt-treize|Ninety-Three; Anul 93
Les Travailleurs de la mer|Toilers of the Sea; Oamenii mării
Le Dernier Jour d'un condamné|The Last Day of a Condemned Man; Ultima zi a unui condamnat
Les Trois Mousquetaires|The Three Musketeers; Cei trei mușchetari
Vingt ans après|Twenty Years After; După douăzeci de ani
Le Vicomte de Bragelonne|The Vicomte of Bragelonne; Vicontele de Bragelonne
Le Comte de Monte-Cristo|The Count of Monte Cristo; Contele de Monte Cristo
La Reine Margot|Queen Margot; Regina Margot
La Dame de Monsoreau|Chicot the Jester; Doamna de Monsoreau
Les Quarante-Cinq|The Forty-Five Guardsmen; Cei patruzeci și cinci
Le Chevalier de Maison-Rouge|The Knight of Maison-Rouge; Cavalerul de Maison-Rouge
Le Collier de la reine|The Queen's Necklace; Colierul reginei
La Tulipe noire|The Black Tulip; Laleaua neagră
Madame Bovary|Madame Bovary; Doamna Bovary
L'Éducation sentimentale|Sentimental Education; Educația sentimentală
Le Père Goriot|Father Goriot; Moș Goriot
Eugénie Grandet|Eugénie Grandet
Illusions perdues|Lost Illusions; Iluzii pierdute
La Peau de chagrin|The Wild Ass's Skin; Pielea de sagri
L'Assommoir|The Drinking Den; Gervaise; Cârciuma
Germinal|Germinal
Nana|Nana
La Bête humaine|The Beast Within; Bestia umană
Au Bonheur des Dames|The Ladies' Paradise; Paradisul femeilor
Bel-Ami|Bel-Ami; Bel-Ami
Boule de suif|Ball of Fat; Bulgăre de seu
Le Rouge et le Noir|The Red and the Black; Roșu și negru
La Chartreuse de Parme|The Charterhouse of Parma; Mănăstirea din Parma
Le Misanthrope|The Misanthrope; Mizantropul
Tartuffe|Tartuffe
L'Avare|The Miser; Avarul
Le Bourgeois gentilhomme|The Bourgeois Gentleman; Burghezul gentilom
Le Malade imaginaire|The Imaginary Invalid; Bolnavul închipuit
Les Fourberies de Scapin|Scapin the Schemer; Vicleniile lui Scapin
Phèdre|Phaedra; Fedra
Le Cid|The Cid; Cidul
Candide|Candide; Candid
Du contrat social|The Social Contract; Contractul social
Les Confessions|The Confessions; Confesiuni
Les Liaisons dangereuses|Dangerous Liaisons; Legăturile primejdioase
Fables|Fables; Fabule
Le Petit Chaperon rouge|Little Red Riding Hood; Scufița Roșie
Cendrillon|Cinderella; Cenușăreasa
La Belle au bois dormant|Sleeping Beauty; Frumoasa din pădurea adormită
Le Chat botté|Puss in Boots; Motanul încălțat
Barbe bleue|Bluebeard; Barbă-Albastră
Le Petit Poucet|Little Thumb; Degețel
Lettres de mon moulin|Letters from My Windmill; Scrisori din moara mea
Carmen|Carmen
Les Fleurs du mal|The Flowers of Evil; Florile răului
Une saison en enfer|A Season in Hell; Un anotimp în infern
Le Bateau ivre|The Drunken Boat; Corabia beată
Le Mystère de la chambre jaune|The Mystery of the Yellow Room; Misterul camerei galbene
Le Fantôme de l'Opéra|The Phantom of the Opera; Fantoma de la Operă
Arsène Lupin, gentleman cambrioleur|Arsène Lupin, Gentleman Burglar; Arsène Lupin, spărgător gentleman
L'Aiguille creuse|The Hollow Needle; Acul scobit
Cyrano de Bergerac|Cyrano de Bergerac
Le Grand Meaulnes|The Wanderer; Cărarea pierdută; Marele Meaulnes
Sans famille|Nobody's Boy; Singur pe lume
Les Malheurs de Sophie|Sophie's Misfortunes; Năzbâtiile Sofiei
Luceafărul|The Evening Star; L'Étoile du soir
Amintiri din copilărie|Memories of My Boyhood; Souvenirs d'enfance
Povestea lui Harap-Alb|The Story of Harap Alb; Le Conte de Harap-Alb
Capra cu trei iezi|The Goat and Her Three Kids; La Chèvre et ses trois chevreaux
O scrisoare pierdută|A Lost Letter; Une lettre perdue
Moara cu noroc|The Lucky Mill; Le Moulin de la chance
Pădurea spânzuraților|Forest of the Hanged; La Forêt des pendus
Tinerețe fără bătrânețe și viață fără de moarte|Youth Without Age and Life Without Death; Jeunesse sans vieillesse et vie sans mort
Chira Chiralina|Kyra Kyralina
Ciulinii Bărăganului|The Thistles of the Baragan; Les Chardons du Baragan
"""
# A cycle of volumes, found by the cycle's name.
SERIES = {
    "Marcel Proust": "À la recherche du temps perdu; In Search of Lost Time; În căutarea timpului pierdut",
}
